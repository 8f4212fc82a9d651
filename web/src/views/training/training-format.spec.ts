import { describe, expect, it } from 'vitest'
import type { LogLine, MetricPoint } from '@/api/training'
import {
  appendLines,
  curveOption,
  filterLines,
  formatBytes,
  formatDuration,
  isActive,
  mergePoints,
  statusTagType,
} from './training-format'

const point = (step: number, values: Record<string, number>, id = step): MetricPoint => ({
  id,
  step,
  values,
  elapsed_seconds: null,
})
const line = (seq: number, text = `line ${seq}`): LogLine => ({
  seq,
  stream: 'stdout',
  text,
  created_at: '2026-01-01T00:00:00Z',
})

describe('training format', () => {
  it('tells active states and tag colours apart', () => {
    expect(isActive('queued')).toBe(true)
    expect(isActive('succeeded')).toBe(false)
    expect(statusTagType('running')).toBe('primary')
    expect(statusTagType('failed')).toBe('danger')
    expect(statusTagType('cancelled')).toBe('info')
  })

  it('formats durations and sizes', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(42.4)).toBe('42s')
    expect(formatDuration(185)).toBe('3m 05s')
    expect(formatDuration(3720)).toBe('1h 02m')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB')
  })

  it('keeps one point per step, the newest winning', () => {
    const merged = mergePoints([point(1, { loss: 2 }), point(2, { loss: 1.5 })], [point(2, { loss: 1.4 }, 9), point(3, { loss: 1.2 })])
    expect(merged.map((p) => [p.step, p.values.loss])).toEqual([
      [1, 2],
      [2, 1.4],
      [3, 1.2],
    ])
  })

  it('appends log lines once, in order, and bounds the console', () => {
    const lines = appendLines([line(1), line(2)], [line(2), line(3), line(4)])
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4])
    expect(appendLines(lines, [line(5)], 3).map((l) => l.seq)).toEqual([3, 4, 5])
    expect(filterLines([line(1, 'Loading model'), line(2, 'loss 0.5')], 'LOSS').map((l) => l.seq)).toEqual([2])
    expect(filterLines(lines, ' ')).toHaveLength(4)
  })

  it('draws loss, eval loss and learning rate by step', () => {
    const option = curveOption([point(1, { loss: 2, lr: 0.001 }), point(2, { loss: 1, eval_loss: 1.2 })], {
      step: 'step',
      loss: 'loss',
      evalLoss: 'eval',
      lr: 'lr',
    })
    const series = option.series as { name: string; data: number[][] }[]
    expect(series.map((s) => s.data)).toEqual([
      [
        [1, 2],
        [2, 1],
      ],
      [[2, 1.2]],
      [[1, 0.001]],
    ])
  })
})
