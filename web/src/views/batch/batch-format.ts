import { ApiError } from '@/api/http'
import type { BatchModelSummary, BatchRunStatus } from '@/api/types'
import { PALETTE } from '@/components/charts/chart-options'
import type { ChartOption } from '@/components/charts/types'

export interface UploadProblem {
  /** The line of the file (null for a problem with the whole file). */
  row: number | null
  message: string
}

export interface UploadProblems {
  /** What the server said, in one sentence. */
  message: string
  errors: UploadProblem[]
  /** All problems, of which `errors` are the first ones. */
  total: number
}

/** A refused upload → the row-numbered problems to show in a table (null: not a validation error). */
export function uploadProblems(error: unknown): UploadProblems | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null
  const details = (error.details ?? {}) as { errors?: unknown; error_count?: unknown }
  const raw = Array.isArray(details.errors) ? details.errors : []
  const errors: UploadProblem[] = raw.map((item: unknown) => {
    const entry = (item ?? {}) as { row?: unknown; message?: unknown; msg?: unknown; loc?: unknown }
    const row = typeof entry.row === 'number' ? entry.row : null
    const message = typeof entry.message === 'string' ? entry.message : typeof entry.msg === 'string' ? entry.msg : String(item)
    return { row, message }
  })
  if (!errors.length) errors.push({ row: null, message: error.message })
  const total = typeof details.error_count === 'number' ? Math.max(details.error_count, errors.length) : errors.length
  return { message: error.message, errors, total }
}

/** 42 → "42s", 185 → "3m 05s", 7260 → "2h 01m"; unknown → null. */
export function formatEta(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null
  const total = Math.round(seconds)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  if (h > 0) return `${h}h ${pad(m)}m`
  if (m > 0) return `${m}m ${pad(s)}s`
  return `${s}s`
}

/** For el-progress: 0-100 with at most one decimal. */
export function progressPercent(percent: number | null | undefined): number {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return 0
  return Math.min(100, Math.max(0, Math.round(percent * 10) / 10))
}

export function isActiveRun(status: BatchRunStatus): boolean {
  return status === 'queued' || status === 'running'
}

export function progressStatus(status: BatchRunStatus): '' | 'success' | 'exception' | 'warning' {
  if (status === 'completed') return 'success'
  if (status === 'failed') return 'exception'
  if (status === 'cancelled') return 'warning'
  return ''
}

/** The mean of a model's scorer means (null when nothing was scored). */
export function meanScore(summary: BatchModelSummary): number | null {
  const values = Object.values(summary.scores).filter((v): v is number => typeof v === 'number')
  if (!values.length) return null
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000
}

/** One bar per model. */
export function summaryBarOption(names: string[], values: (number | null)[], name: string): ChartOption {
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, overflow: 'truncate', width: 100 } },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', name, data: values.map((v) => v ?? 0), barMaxWidth: 40 }],
  }
}

export interface CellScore {
  name: string
  /** Rounded to 3 decimals; null when the scorer could not score the answer. */
  score: number | null
  passed: boolean | null
  /** Why (the LLM judge's reason, or why nothing was scored); null when none was given. */
  reason: string | null
}

/** A cell's `scores` ({name: {score, passed, reason}}) as a list, in the run's scorer order. */
export function cellScores(scores: Record<string, unknown>): CellScore[] {
  return Object.entries(scores).map(([name, value]) => {
    const entry = (value && typeof value === 'object' ? value : { score: value }) as {
      score?: unknown
      passed?: unknown
      reason?: unknown
    }
    const score = typeof entry.score === 'number' ? Math.round(entry.score * 1000) / 1000 : null
    const passed = typeof entry.passed === 'boolean' ? entry.passed : null
    const reason = typeof entry.reason === 'string' && entry.reason.trim() ? entry.reason : null
    return { name, score, passed, reason }
  })
}
