import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makeCompareLane, makeCompareRun } from '@/test/fixtures'
import { applyCompareEvent, emptyState } from '@/views/compare/compare-state'
import { compareApi, compareStreamPath, streamCompare, type CompareStreamEvent } from './compare'
import { setAccessToken } from './http'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn() } }))

beforeEach(() => setAccessToken('tok'))
afterEach(() => setAccessToken(null))

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** An event stream delivered in chunks cut every `size` bytes (mid-line, mid-UTF-8). */
function chunkedStream(text: string, size: number): Response {
  const bytes = new TextEncoder().encode(text)
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size))
      controller.close()
    },
  })
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
}

describe('compare stream', () => {
  it('posts a new run or a rerun to its endpoint', () => {
    expect(compareStreamPath({ kind: 'start', body: { prompt: 'x', system_prompt: '', blind: false, knowledge_base_ids: [], lanes: [] } })).toBe('/api/compare')
    expect(compareStreamPath({ kind: 'rerun', runId: 4 })).toBe('/api/compare/4/rerun')
  })

  it('accumulates lanes from events split at odd boundaries, an error staying in its lane', async () => {
    const lanes = [makeCompareLane({ id: 1 }), makeCompareLane({ id: 2, position: 1, label: 'B' })]
    const stored = makeCompareLane({ id: 1, content: 'Héllo wörld', status: 'complete', latency_ms: 800 })
    const text = [
      ': ping\n\n',
      sse('run', { run: makeCompareRun(lanes) }),
      sse('content', { lane_id: 1, text: 'Héllo' }),
      sse('reasoning', { lane_id: 2, text: 'thinking…' }),
      sse('content', { lane_id: 1, text: ' wörld' }),
      sse('error', { lane_id: 2, code: 'upstream_http', message: 'Bad gateway' }),
      sse('lane_done', { lane: stored }),
      sse('done', { run: null }),
    ].join('')
    for (const size of [1, 3, 7, 13]) {
      const calls = installFakeFetch(() => chunkedStream(text, size))
      const state = emptyState()
      const seen: CompareStreamEvent['event'][] = []
      await streamCompare(
        { kind: 'start', body: { prompt: 'Hi', system_prompt: '', blind: false, knowledge_base_ids: [], lanes: [{ model_id: 10 }, { model_id: 11 }] } },
        (event) => {
          seen.push(event.event)
          applyCompareEvent(state, event)
        },
        new AbortController().signal,
      )
      expect(calls[0]).toMatchObject({
        method: 'POST',
        url: '/api/compare',
        body: { prompt: 'Hi', system_prompt: '', blind: false, knowledge_base_ids: [], lanes: [{ model_id: 10 }, { model_id: 11 }] },
      })
      expect(calls[0]?.headers.Authorization).toBe('Bearer tok')
      expect(seen).toEqual(['run', 'content', 'reasoning', 'content', 'error', 'lane_done', 'done'])
      expect(state.lanes[0]).toMatchObject({ content: 'Héllo wörld', status: 'complete', latency_ms: 800 })
      expect(state.lanes[1]).toMatchObject({ reasoning: 'thinking…', status: 'error', error: { message: 'Bad gateway' } })
    }
  })

  it('rejects a refused comparison with the server error', async () => {
    installFakeFetch(() => json(422, { code: 'invalid_input', message: 'Pick 2 to 6 models', details: null }))
    await expect(streamCompare({ kind: 'rerun', runId: 3 }, () => {}, new AbortController().signal)).rejects.toMatchObject({
      status: 422,
      message: 'Pick 2 to 6 models',
    })
  })
})

describe('compareApi', () => {
  it('calls every endpoint with the right method, path and body', async () => {
    const run = makeCompareRun([])
    const calls = installFakeFetch((call) =>
      call.method === 'DELETE' || call.url.endsWith('/stop') ? noContent() : json(200, call.method === 'GET' && call.url.startsWith('/api/compare?') ? { items: [], total: 0, page: 1, page_size: 20 } : run),
    )
    await compareApi.list(2, 10)
    await compareApi.get(5)
    await compareApi.stop(5)
    await compareApi.stopLane(5, 8)
    await compareApi.vote(5, { winner_lane_id: 8, ratings: { 8: 5 } })
    await compareApi.reveal(5)
    await compareApi.continueLane(5, 8)
    await compareApi.remove(5)
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/compare?page=2&page_size=10', undefined],
      ['GET', '/api/compare/5', undefined],
      ['POST', '/api/compare/5/stop', undefined],
      ['POST', '/api/compare/5/lanes/8/stop', undefined],
      ['POST', '/api/compare/5/vote', { winner_lane_id: 8, ratings: { 8: 5 } }],
      ['POST', '/api/compare/5/reveal', undefined],
      ['POST', '/api/compare/5/lanes/8/continue', undefined],
      ['DELETE', '/api/compare/5', undefined],
    ])
  })
})
