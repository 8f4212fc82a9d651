import { beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { uploadProblems } from '@/views/batch/batch-format'
import { batchApi } from './batch'
import { setAccessToken } from './http'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn() } }))

beforeEach(() => setAccessToken('tok'))

const page = { items: [], total: 0, page: 1, page_size: 20 }

describe('batchApi', () => {
  it('calls every JSON endpoint with the right method, path and body', async () => {
    const calls = installFakeFetch((call) => (call.method === 'DELETE' ? noContent() : json(200, page)))
    await batchApi.listSets()
    await batchApi.getSet(3, 2, 5)
    await batchApi.deleteSet(3)
    await batchApi.listRuns(1, 50, 3)
    await batchApi.createRun({ set_id: 3, model_ids: [10, 11], scorers: [{ type: 'exact', normalize: true }], concurrency_per_provider: 2 })
    await batchApi.getRun(9)
    await batchApi.cancelRun(9)
    await batchApi.results(9, 2, 10)
    await batchApi.deleteRun(9)
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/batch-tests/sets?page=1&page_size=100', undefined],
      ['GET', '/api/batch-tests/sets/3?page=2&page_size=5', undefined],
      ['DELETE', '/api/batch-tests/sets/3', undefined],
      ['GET', '/api/batch-tests/runs?page=1&page_size=50&set_id=3', undefined],
      [
        'POST',
        '/api/batch-tests/runs',
        { set_id: 3, model_ids: [10, 11], scorers: [{ type: 'exact', normalize: true }], concurrency_per_provider: 2 },
      ],
      ['GET', '/api/batch-tests/runs/9', undefined],
      ['POST', '/api/batch-tests/runs/9/cancel', undefined],
      ['GET', '/api/batch-tests/runs/9/results?page=2&page_size=10', undefined],
      ['DELETE', '/api/batch-tests/runs/9', undefined],
    ])
    expect(calls.every((c) => c.headers.Authorization === 'Bearer tok')).toBe(true)
  })

  it('uploads a file as multipart and maps a refusal to row-numbered problems', async () => {
    installFakeFetch(() =>
      apiError(422, 'invalid_test_set', 'The test set has 2 problems', {
        errors: [{ row: 3, message: 'prompt is missing' }],
        error_count: 2,
      }),
    )
    const spy = vi.mocked(fetch)
    const error = await batchApi.uploadSet(new Blob(['prompt\n\n']), 'set.csv', 'My set').catch((err: unknown) => err)
    const [url, init] = spy.mock.calls[0] as [string, RequestInit]
    expect(url).toBe('/api/batch-tests/sets')
    expect(init.method).toBe('POST')
    const form = init.body as FormData
    expect(form).toBeInstanceOf(FormData)
    expect((form.get('file') as File).name).toBe('set.csv')
    expect(form.get('name')).toBe('My set')
    expect(uploadProblems(error)).toMatchObject({ errors: [{ row: 3, message: 'prompt is missing' }], total: 2 })
  })

  it('downloads an export with the token and the server’s file name', async () => {
    const calls = installFakeFetch(
      () =>
        new Response('a,b\n', {
          status: 200,
          headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="batch-run-9.csv"' },
        }),
    )
    const { blob, filename } = await batchApi.exportRun(9, 'csv')
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/api/batch-tests/runs/9/export?format=csv' })
    expect(calls[0]?.headers.Authorization).toBe('Bearer tok')
    expect(filename).toBe('batch-run-9.csv')
    expect(await blob.text()).toBe('a,b\n')
  })
})
