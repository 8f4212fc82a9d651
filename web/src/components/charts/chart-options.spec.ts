import { describe, expect, it } from 'vitest'
import { dailyLineOption, dailyValues, modelLabeler, stackByDayAndModel, stackedBarOption } from './chart-options'

const row = (day: string, model_name: string, tokens: number, cost = '0', provider_name = 'local') => ({
  day,
  model_name,
  provider_name,
  input_tokens: tokens,
  output_tokens: 0,
  cost,
  calls: 1,
})

const days = ['2025-03-01', '2025-03-02', '2025-03-03']

describe('stackByDayAndModel', () => {
  it('makes one series per model over every day, filling missing days with 0', () => {
    const stacked = stackByDayAndModel(
      [row('2025-03-01', 'a', 10), row('2025-03-03', 'a', 5), row('2025-03-02', 'b', 100)],
      days,
      (r) => r.input_tokens + r.output_tokens,
    )
    expect(stacked.days).toEqual(days)
    expect(stacked.series).toEqual([
      { name: 'b', data: [0, 100, 0] },
      { name: 'a', data: [10, 0, 5] },
    ])
  })

  it('sorts days even when the rows come unsorted or fall outside the given days', () => {
    const stacked = stackByDayAndModel([row('2025-03-05', 'a', 1), row('2025-03-01', 'a', 2)], [], (r) => r.input_tokens)
    expect(stacked.days).toEqual(['2025-03-01', '2025-03-05'])
    expect(stacked.series).toEqual([{ name: 'a', data: [2, 1] }])
  })

  it('orders equal totals by name and sums decimal costs without float noise', () => {
    const stacked = stackByDayAndModel(
      [row('2025-03-01', 'z', 0, '0.1'), row('2025-03-01', 'z', 0, '0.2'), row('2025-03-02', 'm', 0, '0.3')],
      days,
      (r) => Number(r.cost),
    )
    expect(stacked.series.map((s) => s.name)).toEqual(['m', 'z'])
    expect(stacked.series[1]?.data).toEqual([0.3, 0, 0])
  })

  it('tells apart one model name served by two providers', () => {
    const rows = [row('2025-03-01', 'llama', 1, '0', 'ollama'), row('2025-03-01', 'llama', 3, '0', 'vllm'), row('2025-03-01', 'gpt', 2)]
    const label = modelLabeler(rows)
    expect(rows.map(label)).toEqual(['ollama / llama', 'vllm / llama', 'gpt'])
    expect(stackByDayAndModel(rows, ['2025-03-01'], (r) => r.input_tokens).series.map((s) => s.name)).toEqual([
      'vllm / llama',
      'gpt',
      'ollama / llama',
    ])
  })

  it('gives no series and every day for no rows', () => {
    expect(stackByDayAndModel([], days, () => 1)).toEqual({ days, series: [] })
  })
})

describe('dailyValues', () => {
  it('sums rows per day and fills the gaps', () => {
    const daily = dailyValues(
      [
        { day: '2025-03-03', cost: '0.5' },
        { day: '2025-03-01', cost: '0.25' },
        { day: '2025-03-01', cost: '0.25' },
      ],
      days,
      (r) => Number(r.cost),
    )
    expect(daily).toEqual({ days, values: [0.5, 0, 0.5] })
  })
})

describe('chart options', () => {
  it('stacks bars per day with formatted tooltip values and short day labels', () => {
    const option = stackedBarOption({ days, series: [{ name: 'a', data: [1, 2, 3] }] }, (v) => `${v} tok`)
    const series = option.series as { type: string; stack: string; data: number[]; name: string }[]
    expect(series).toHaveLength(1)
    expect(series[0]).toMatchObject({ type: 'bar', stack: 'total', name: 'a', data: [1, 2, 3] })
    const xAxis = option.xAxis as { data: string[]; axisLabel: { formatter: (day: string) => string } }
    expect(xAxis.data).toEqual(days)
    expect(xAxis.axisLabel.formatter('2025-03-01')).toBe('03-01')
    const tooltip = option.tooltip as { valueFormatter: (value: number) => string }
    expect(tooltip.valueFormatter(5)).toBe('5 tok')
    expect(option.backgroundColor).toBe('transparent')
  })

  it('draws one line for a daily total', () => {
    const option = dailyLineOption({ days, values: [0, 1, 0] }, 'Cost', (v) => `$${v}`)
    const series = option.series as { type: string; name: string; data: number[] }[]
    expect(series).toEqual([expect.objectContaining({ type: 'line', name: 'Cost', data: [0, 1, 0] })])
    const yAxis = option.yAxis as { axisLabel: { formatter: (value: number) => string } }
    expect(yAxis.axisLabel.formatter(2)).toBe('$2')
  })
})
