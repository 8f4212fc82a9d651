/**
 * Pure builders that turn the statistics API's rows into ECharts options. No ECharts import
 * beyond types, so they are cheap to test and to call in a `computed`.
 */
import type { ChartOption } from './types'

/** A row of a per-day, per-model breakdown (`DailyModelUsage`). */
export interface DayModelRow {
  day: string
  model_name: string
  provider_name: string
}

export interface ChartSeries {
  name: string
  data: number[]
}

export interface StackedDays {
  /** Every day of the range, oldest first. */
  days: string[]
  /** One series per model, biggest total first (the bottom of the stack). */
  series: ChartSeries[]
}

export type NumberFormat = (value: number) => string

/** Sums of decimals (costs) would otherwise show float noise such as 0.30000000000000004. */
function tidy(value: number): number {
  return Math.round(value * 1e10) / 1e10
}

function sortedDays(days: readonly string[], rows: readonly { day: string }[]): string[] {
  return [...new Set([...days, ...rows.map((row) => row.day)])].sort()
}

/**
 * How a model is named on a chart: its model name, or "provider / model" when the same model
 * name comes from more than one provider.
 */
export function modelLabeler(rows: readonly DayModelRow[]): (row: DayModelRow) => string {
  const providers = new Map<string, Set<string>>()
  for (const row of rows) {
    const set = providers.get(row.model_name) ?? new Set<string>()
    set.add(row.provider_name)
    providers.set(row.model_name, set)
  }
  return (row) =>
    (providers.get(row.model_name)?.size ?? 0) > 1 ? `${row.provider_name} / ${row.model_name}` : row.model_name
}

/**
 * Days × models: one series per model with a value for every day (0 where the model was not
 * used), days sorted, series ordered by their total (largest first), then by name.
 */
export function stackByDayAndModel<R extends DayModelRow>(
  rows: readonly R[],
  days: readonly string[],
  value: (row: R) => number,
): StackedDays {
  const allDays = sortedDays(days, rows)
  const index = new Map(allDays.map((day, i) => [day, i]))
  const label = modelLabeler(rows)
  const byModel = new Map<string, number[]>()
  for (const row of rows) {
    const name = label(row)
    const data = byModel.get(name) ?? new Array<number>(allDays.length).fill(0)
    const i = index.get(row.day) as number
    data[i] = tidy((data[i] ?? 0) + value(row))
    byModel.set(name, data)
  }
  const total = (data: number[]) => data.reduce((sum, v) => sum + v, 0)
  const series = [...byModel.entries()]
    .map(([name, data]) => ({ name, data, total: total(data) }))
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
    .map(({ name, data }) => ({ name, data }))
  return { days: allDays, series }
}

/** One value per day of the range (0 for days without rows), days sorted. */
export function dailyValues<R extends { day: string }>(
  rows: readonly R[],
  days: readonly string[],
  value: (row: R) => number,
): { days: string[]; values: number[] } {
  const allDays = sortedDays(days, rows)
  const sums = new Map<string, number>()
  for (const row of rows) sums.set(row.day, tidy((sums.get(row.day) ?? 0) + value(row)))
  return { days: allDays, values: allDays.map((day) => sums.get(day) ?? 0) }
}

/** "2025-03-07" → "03-07" on the axis; the tooltip shows the full date. */
function shortDay(day: string): string {
  return day.length === 10 ? day.slice(5) : day
}

/** Series colours readable on the light and the dark background alike. */
export const PALETTE = [
  '#5470c6',
  '#91cc75',
  '#fac858',
  '#ee6666',
  '#73c0de',
  '#3ba272',
  '#fc8452',
  '#9a60b4',
  '#ea7ccc',
]

function baseOption(days: readonly string[], format: NumberFormat, axisFormat: NumberFormat): ChartOption {
  return {
    // Transparent so the card's Element Plus background shows through, light or dark.
    backgroundColor: 'transparent',
    color: PALETTE,
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (value) => format(Number(value ?? 0)) },
    grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
    xAxis: {
      type: 'category',
      data: [...days],
      axisLabel: { formatter: shortDay, hideOverlap: true },
    },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => axisFormat(value) } },
  }
}

/** Stacked bars: one stack per day, one segment per model. */
export function stackedBarOption(stacked: StackedDays, format: NumberFormat, axisFormat: NumberFormat = format): ChartOption {
  return {
    ...baseOption(stacked.days, format, axisFormat),
    legend: { type: 'scroll', top: 0, left: 0, right: 0 },
    series: stacked.series.map((series) => ({
      type: 'bar',
      name: series.name,
      stack: 'total',
      emphasis: { focus: 'series' },
      barMaxWidth: 32,
      data: series.data,
    })),
  }
}

/** A single line (with a light area) of one value per day. */
export function dailyLineOption(
  daily: { days: string[]; values: number[] },
  name: string,
  format: NumberFormat,
  axisFormat: NumberFormat = format,
): ChartOption {
  return {
    ...baseOption(daily.days, format, axisFormat),
    legend: { show: false },
    series: [
      {
        type: 'line',
        name,
        showSymbol: daily.days.length <= 31,
        areaStyle: { opacity: 0.15 },
        data: daily.values,
      },
    ],
  }
}
