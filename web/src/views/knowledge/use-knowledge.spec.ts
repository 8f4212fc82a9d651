import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { ApiError, setAccessToken } from '@/api/http'
import { knowledgeApi } from '@/api/knowledge'
import { apiError, installFakeFetch, json } from '@/test/fake-fetch'
import { embeddingModels, isBusy, POLL_MS, useKnowledgeBase } from './use-knowledge'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

function doc(id: number, status: string, progress = 0) {
  return { id, knowledge_base_id: 3, filename: `d${id}.md`, file_type: 'md', size_bytes: 10, content_hash: 'h', status, progress, chunk_count: 0, error: null, indexed_at: null, created_at: '', updated_at: '' }
}
const kb = { id: 3, name: 'Handbook', editable: true }

beforeEach(() => setAccessToken('user-token'))
afterEach(() => vi.useRealTimers())

describe('knowledge helpers', () => {
  it('offers only models with the embedding capability', () => {
    const models = [
      { id: 1, capabilities: ['chat'] },
      { id: 2, capabilities: ['embedding'] },
    ] as Parameters<typeof embeddingModels>[0]
    expect(embeddingModels(models).map((m) => m.id)).toEqual([2])
  })

  it('treats queued and processing documents as busy', () => {
    expect(['queued', 'processing', 'ready', 'error'].map((status) => isBusy({ status } as never))).toEqual([true, true, false, false])
  })
})

describe('useKnowledgeBase', () => {
  it('polls while a document is being indexed and stops once all are done', async () => {
    vi.useFakeTimers()
    const states = [[doc(1, 'processing', 0.5)], [doc(1, 'ready', 1)]]
    const calls = installFakeFetch((call) => {
      if (call.url === '/api/knowledge-bases/3') return json(200, kb)
      return json(200, states.length > 1 ? states.shift() : states[0])
    })
    const scope = effectScope()
    const state = scope.run(() => useKnowledgeBase(3))!
    await state.refresh()
    expect(state.busy.value).toBe(true)
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(state.documents.value[0]!.status).toBe('ready')
    expect(state.busy.value).toBe(false)
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    expect(calls.filter((c) => c.url.endsWith('/documents'))).toHaveLength(2)
    scope.stop()
  })

  it('runs a retrieval test with the chosen top-k', async () => {
    const calls = installFakeFetch(() => json(200, { query: 'q', hits: [], latency_ms: 1 }))
    const state = effectScope().run(() => useKnowledgeBase(3))!
    await state.retrieve('when are backups?', 4)
    expect(calls[0]!.method).toBe('POST')
    expect(calls[0]!.url).toBe('/api/knowledge-bases/3/retrieve')
    expect(calls[0]!.body).toEqual({ query: 'when are backups?', top_k: 4 })
    expect(state.result.value?.hits).toEqual([])
    expect(state.searching.value).toBe(false)
  })
})

describe('knowledgeApi.upload', () => {
  it('sends the file as multipart and turns a refusal into the server error', async () => {
    installFakeFetch(() => apiError(409, 'duplicate_document', 'Already there as “a.md”.'))
    const failure = await knowledgeApi.upload(3, new Blob(['# A']), 'a.md').catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(ApiError)
    expect((failure as ApiError).code).toBe('duplicate_document')
  })
})
