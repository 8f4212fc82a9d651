import { describe, expect, it } from 'vitest'
import { makeCompareLane as makeLane, makeCompareRun as makeRun } from '@/test/fixtures'
import { applyCompareEvent, blindLabel, emptyState, endStreaming, laneTitle, stateFromRun } from './compare-state'
import { laneMetrics } from './lane-metrics'

describe('compare stream reducer', () => {
  const lanes = [makeLane({ id: 2, position: 1, label: 'B', model_name: 'Slow' }), makeLane({ id: 1 })]

  it('orders lanes by position and grows each lane from its own deltas', () => {
    const state = emptyState()
    applyCompareEvent(state, { event: 'run', data: { run: makeRun(lanes) } })
    expect(state.lanes.map((l) => l.id)).toEqual([1, 2])
    applyCompareEvent(state, { event: 'reasoning', data: { lane_id: 2, text: 'hmm' } })
    applyCompareEvent(state, { event: 'content', data: { lane_id: 1, text: 'Hel' } })
    applyCompareEvent(state, { event: 'content', data: { lane_id: 2, text: 'Yo' } })
    applyCompareEvent(state, { event: 'content', data: { lane_id: 1, text: 'lo' } })
    applyCompareEvent(state, { event: 'usage', data: { lane_id: 1, input_tokens: 3, output_tokens: 2, estimated: true } })
    applyCompareEvent(state, { event: 'content', data: { lane_id: 99, text: 'ignored' } })
    expect(state.lanes[0]).toMatchObject({ content: 'Hello', reasoning: '', output_tokens: 2, tokens_estimated: true })
    expect(state.lanes[1]).toMatchObject({ content: 'Yo', reasoning: 'hmm' })
  })

  it('keeps an error in its lane, and lane_done replaces the lane with the stored one', () => {
    const state = emptyState()
    applyCompareEvent(state, { event: 'run', data: { run: makeRun(lanes) } })
    applyCompareEvent(state, { event: 'content', data: { lane_id: 1, text: 'partial' } })
    applyCompareEvent(state, { event: 'error', data: { lane_id: 2, code: 'upstream_http', message: 'boom' } })
    expect(state.lanes[1]).toMatchObject({ status: 'error', error: { code: 'upstream_http', message: 'boom' } })
    expect(state.lanes[0]).toMatchObject({ status: 'streaming', error: null, content: 'partial' })
    const stored = makeLane({ id: 1, content: 'final', status: 'complete', ttft_ms: 120, latency_ms: 900 })
    applyCompareEvent(state, { event: 'lane_done', data: { lane: stored } })
    expect(state.lanes[0]).toEqual(stored)
    expect(state.lanes[0]).not.toBe(stored)
    expect(state.lanes[1]?.status).toBe('error')
  })

  it('takes the stored run on done, and ends lanes left streaming', () => {
    const state = stateFromRun(makeRun(lanes))
    applyCompareEvent(state, { event: 'done', data: { run: null } })
    expect(state.lanes.map((l) => l.status)).toEqual(['interrupted', 'interrupted'])
    const final = makeRun([makeLane({ id: 1, status: 'complete' })], { winner_lane_id: 1 })
    applyCompareEvent(state, { event: 'done', data: { run: final } })
    expect(state.run).toBe(final)
    expect(state.lanes).toHaveLength(1)
    endStreaming(state)
    expect(state.lanes[0]?.status).toBe('complete')
  })
})

describe('blind labels', () => {
  it('names lanes A, B, … Z, AA', () => {
    expect([0, 1, 2, 25, 26, 27].map(blindLabel)).toEqual(['A', 'B', 'C', 'Z', 'AA', 'AB'])
  })

  it('hides the model until a blind run is revealed', () => {
    const hidden = makeLane({ position: 2, label: 'C', model_name: null })
    expect(laneTitle(hidden, makeRun([], { blind: true, revealed: false }))).toBe('C')
    expect(laneTitle(makeLane({ model_name: 'Fast', label: 'A' }), makeRun([], { blind: true, revealed: false }))).toBe('A')
    expect(laneTitle(makeLane({ model_name: 'Fast', label: 'A' }), makeRun([], { blind: true, revealed: true }))).toBe('Fast')
    expect(laneTitle(makeLane({ model_name: null, label: '', position: 1 }), null)).toBe('B')
  })
})

describe('lane metrics', () => {
  it('formats what is known and dashes the rest', () => {
    const metrics = laneMetrics(
      makeLane({ ttft_ms: 120, latency_ms: 2500, output_tokens: 40, tokens_per_second: 16.25, cost: '0.0012', finish_reason: 'stop' }),
    )
    expect(Object.fromEntries(metrics.map((m) => [m.key, m.value]))).toEqual({
      ttft: '120 ms',
      latency: '2.50 s',
      outputTokens: '40',
      tokensPerSecond: '16.3',
      cost: '$0.00120',
      finishReason: 'stop',
    })
    expect(laneMetrics(makeLane()).every((m) => m.value === '—')).toBe(true)
  })
})
