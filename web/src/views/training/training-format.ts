import type { ChartOption } from '@/components/charts/types'
import type { JobStatus, LogLine, MetricPoint } from '@/api/training'

export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'queued', 'running']
export const MAX_LOG_LINES = 5000

export function isActive(status: JobStatus): boolean {
  return ACTIVE_STATUSES.includes(status)
}

export function statusTagType(status: JobStatus): 'info' | 'warning' | 'primary' | 'success' | 'danger' {
  switch (status) {
    case 'pending':
      return 'info'
    case 'queued':
      return 'warning'
    case 'running':
      return 'primary'
    case 'succeeded':
      return 'success'
    default:
      return status === 'failed' ? 'danger' : 'info'
  }
}

/** "1h 02m", "3m 05s", "42s"; an em dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—'
  const total = Math.round(seconds)
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`
  return `${rest}s`
}

export function formatBytes(size: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = size
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  return value == null ? '—' : value.toFixed(digits)
}

/** Points by step, sorted: a step sent again (a resumed run logs it twice) replaces the old one. */
export function mergePoints(current: MetricPoint[], incoming: MetricPoint[]): MetricPoint[] {
  const byStep = new Map(current.map((point) => [point.step, point]))
  for (const point of incoming) byStep.set(point.step, point)
  return [...byStep.values()].sort((a, b) => a.step - b.step)
}

/** New lines appended in seq order (a replayed line is kept once), the oldest dropped past `max`. */
export function appendLines(current: LogLine[], incoming: LogLine[], max = MAX_LOG_LINES): LogLine[] {
  const last = current.length ? current[current.length - 1]!.seq : 0
  const fresh = incoming.filter((line) => line.seq > last)
  const merged = fresh.length ? [...current, ...fresh] : current
  return merged.length > max ? merged.slice(merged.length - max) : merged
}

export function filterLines(lines: LogLine[], query: string): LogLine[] {
  const needle = query.trim().toLowerCase()
  return needle ? lines.filter((line) => line.text.toLowerCase().includes(needle)) : lines
}

export interface CurveLabels {
  step: string
  loss: string
  evalLoss: string
  lr: string
}

/** Loss (and eval loss) on the left axis, learning rate on the right, by step. */
export function curveOption(points: MetricPoint[], labels: CurveLabels): ChartOption {
  const series = (key: string) =>
    points.filter((p) => p.values[key] !== undefined).map((p) => [p.step, p.values[key]!] as [number, number])
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: [labels.loss, labels.evalLoss, labels.lr], bottom: 0 },
    grid: { left: 56, right: 72, top: 40, bottom: 64 },
    xAxis: { type: 'value', name: labels.step, nameLocation: 'middle', nameGap: 26, minInterval: 1 },
    yAxis: [
      { type: 'value', name: labels.loss, scale: true },
      { type: 'value', name: labels.lr, scale: true, axisLabel: { formatter: (v: number) => v.toExponential(1) } },
    ],
    series: [
      { name: labels.loss, type: 'line', showSymbol: false, data: series('loss') },
      { name: labels.evalLoss, type: 'line', data: series('eval_loss') },
      { name: labels.lr, type: 'line', yAxisIndex: 1, showSymbol: false, lineStyle: { type: 'dashed' }, data: series('lr') },
    ],
  }
}
