import type { DatasetLineError, DatasetStats } from '@/api/datasets'
import { ApiError } from '@/api/http'
import type { ChartOption } from '@/components/charts/types'

/** What a refused upload tells the page: its message, the first bad lines and how many. */
export interface UploadReport {
  code: string
  message: string
  errors: DatasetLineError[]
  errorCount: number
}

export const LINT_KEYS = ['over_cutoff', 'empty_answer', 'duplicate', 'broken_alternation'] as const
export type LintKey = (typeof LINT_KEYS)[number]

export function uploadReport(error: unknown): UploadReport {
  if (!(error instanceof ApiError)) return { code: 'client_error', message: String(error), errors: [], errorCount: 0 }
  const details = (error.details ?? {}) as { errors?: DatasetLineError[]; error_count?: number }
  const errors = Array.isArray(details.errors) ? details.errors : []
  return { code: error.code, message: error.message, errors, errorCount: details.error_count ?? errors.length }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

export interface LintRow {
  key: LintKey
  count: number
  lines: number[]
}

export function lintRows(stats: DatasetStats): LintRow[] {
  return LINT_KEYS.map((key) => ({ key, count: stats.lint[key]?.count ?? 0, lines: stats.lint[key]?.lines ?? [] }))
}

/** Bar chart of the token length histogram; bins above the cutoff are drawn in the danger colour. */
export function histogramOption(stats: DatasetStats, labels: { tokens: string; records: string }): ChartOption {
  const bins = stats.histogram
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 24, bottom: 40 },
    xAxis: {
      type: 'category',
      name: labels.tokens,
      nameLocation: 'middle',
      nameGap: 28,
      data: bins.map((bin) => (bin.end - bin.start > 1 ? `${bin.start}–${bin.end - 1}` : String(bin.start))),
    },
    yAxis: { type: 'value', name: labels.records, minInterval: 1 },
    series: [
      {
        type: 'bar',
        name: labels.records,
        data: bins.map((bin) => ({
          value: bin.count,
          itemStyle: { color: bin.end - 1 > stats.cutoff_len ? '#f56c6c' : '#409eff' },
        })),
      },
    ],
  }
}

/** A record as indented JSON text for the preview (shown as text, never as HTML). */
export function recordText(record: Record<string, unknown>): string {
  return JSON.stringify(record, null, 2)
}
