import { beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makeModel, makeProvider } from '@/test/fixtures'
import { setAccessToken } from './http'
import { modelsApi } from './models'
import { providersApi } from './providers'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

beforeEach(() => setAccessToken('admin-token'))

describe('providersApi', () => {
  it('calls every provider endpoint with the right method, path and body', async () => {
    const provider = makeProvider()
    const calls = installFakeFetch((call) => (call.method === 'DELETE' ? noContent() : json(200, provider)))

    await providersApi.presets()
    await providersApi.list()
    await providersApi.get(3)
    await providersApi.create({ name: 'x', preset: 'openai', extra_headers: {}, timeout_seconds: 60, enabled: true })
    await providersApi.update(3, { api_key: '' })
    await providersApi.remove(3)
    await providersApi.refreshModels(3)
    await providersApi.test(3)
    await providersApi.test(3, { model: 'gpt-test' })

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/providers/presets', undefined],
      ['GET', '/api/providers', undefined],
      ['GET', '/api/providers/3', undefined],
      ['POST', '/api/providers', { name: 'x', preset: 'openai', extra_headers: {}, timeout_seconds: 60, enabled: true }],
      ['PATCH', '/api/providers/3', { api_key: '' }],
      ['DELETE', '/api/providers/3', undefined],
      ['POST', '/api/providers/3/refresh-models', undefined],
      ['POST', '/api/providers/3/test', {}],
      ['POST', '/api/providers/3/test', { model: 'gpt-test' }],
    ])
    expect(calls.every((c) => c.headers.Authorization === 'Bearer admin-token')).toBe(true)
  })

  it('surfaces an upstream refresh failure as an ApiError with its code and message', async () => {
    installFakeFetch(() => apiError(502, 'upstream_unreachable', 'Cannot reach http://127.0.0.1:9/v1'))

    await expect(providersApi.refreshModels(1, { toast: false })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_unreachable',
      message: 'Cannot reach http://127.0.0.1:9/v1',
    })
  })
})

describe('modelsApi', () => {
  it('lists usable models and manages a provider’s models', async () => {
    const model = makeModel()
    const calls = installFakeFetch((call) => (call.method === 'DELETE' ? noContent() : json(200, [model])))

    await expect(modelsApi.list()).resolves.toEqual([model])
    await modelsApi.listForProvider(4)
    await modelsApi.create(4, { model_id: 'manual' })
    await modelsApi.update(10, { enabled: true })
    await modelsApi.remove(10)

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/models', undefined],
      ['GET', '/api/providers/4/models', undefined],
      ['POST', '/api/providers/4/models', { model_id: 'manual' }],
      ['PATCH', '/api/models/10', { enabled: true }],
      ['DELETE', '/api/models/10', undefined],
    ])
  })
})
