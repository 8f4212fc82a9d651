import { describe, expect, it } from 'vitest'
import type { DatasetStats } from '@/api/datasets'
import { ApiError } from '@/api/http'
import { formatBytes, histogramOption, lintRows, recordText, uploadReport } from './dataset-format'

const STATS: DatasetStats = {
  tokenizer: 'estimate (o200k_base)',
  tokens: { min: 2, max: 7, mean: 4.75, p50: 5, p95: 7, total: 19 },
  histogram: [
    { start: 0, end: 4, count: 1 },
    { start: 4, end: 8, count: 3 },
    { start: 8, end: 9, count: 1 },
  ],
  cutoff_len: 6,
  mean_turns: 2,
  lint: {
    duplicate: { count: 1, lines: [3] },
    over_cutoff: { count: 1, lines: [4] },
  },
}

describe('uploadReport', () => {
  it('keeps the line-numbered errors and the count of all', () => {
    const error = new ApiError(422, 'invalid_dataset', '60 record(s) are not valid', {
      errors: [{ line: 2, message: 'bad' }],
      error_count: 60,
    })
    expect(uploadReport(error)).toEqual({
      code: 'invalid_dataset',
      message: '60 record(s) are not valid',
      errors: [{ line: 2, message: 'bad' }],
      errorCount: 60,
    })
  })

  it('reports errors without details (413) and unexpected throws', () => {
    const tooLarge = new ApiError(413, 'dataset_too_large', 'too large', { max_bytes: 10 })
    expect(uploadReport(tooLarge)).toMatchObject({ code: 'dataset_too_large', errors: [], errorCount: 0 })
    expect(uploadReport(new Error('boom'))).toMatchObject({ code: 'client_error', message: 'Error: boom' })
  })
})

describe('formatting', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(2048)).toBe('2.0 KB')
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MB')
  })

  it('lists every lint check, zero when absent', () => {
    expect(lintRows(STATS)).toEqual([
      { key: 'over_cutoff', count: 1, lines: [4] },
      { key: 'empty_answer', count: 0, lines: [] },
      { key: 'duplicate', count: 1, lines: [3] },
      { key: 'broken_alternation', count: 0, lines: [] },
    ])
  })

  it('draws the histogram with bins past the cutoff in red', () => {
    const option = histogramOption(STATS, { tokens: 'Tokens', records: 'Records' })
    expect(option.xAxis).toMatchObject({ data: ['0–3', '4–7', '8'] })
    const series = option.series as { data: { value: number; itemStyle: { color: string } }[] }[]
    expect(series[0].data.map((bar) => bar.value)).toEqual([1, 3, 1])
    expect(series[0].data.map((bar) => bar.itemStyle.color)).toEqual(['#409eff', '#f56c6c', '#f56c6c'])
  })

  it('shows a record as indented JSON', () => {
    expect(recordText({ a: 1 })).toBe('{\n  "a": 1\n}')
  })
})
