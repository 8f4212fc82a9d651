import { beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makePromptTemplate } from '@/test/fixtures'
import { setAccessToken } from './http'
import { promptsApi } from './prompts'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

beforeEach(() => setAccessToken('user-token'))

describe('promptsApi', () => {
  it('calls every prompt endpoint with the right method, path, query and body', async () => {
    const template = makePromptTemplate()
    const calls = installFakeFetch((call) => (call.method === 'DELETE' ? noContent() : json(200, template)))
    const variables = [{ name: 'x', description: '', default: null, required: true }]

    await promptsApi.list()
    await promptsApi.list({ q: 'review code', category: 'dev', tag: 'go', scope: 'mine', page: 2, page_size: 50 })
    await promptsApi.list({ q: undefined, category: '', scope: 'shared' })
    await promptsApi.categories()
    await promptsApi.tags()
    await promptsApi.get(7)
    await promptsApi.create({ name: 'n', description: '', tags: [], body: '{{x}}', variables, shared: false })
    await promptsApi.update(7, { body: 'b', base_version: 3 })
    await promptsApi.remove(7)
    await promptsApi.versions(7, { page: 1, page_size: 50 })
    await promptsApi.version(7, 2)
    await promptsApi.diff(7, { from_version: 1, to_version: 3 })
    await promptsApi.diff(7)
    await promptsApi.restore(7, 1)
    await promptsApi.render(7, { x: '1' })
    await promptsApi.preview({ body: '{{x}}', variables, values: { x: 'v' } })

    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/prompts', undefined],
      ['GET', '/api/prompts?q=review+code&category=dev&tag=go&scope=mine&page=2&page_size=50', undefined],
      ['GET', '/api/prompts?scope=shared', undefined],
      ['GET', '/api/prompts/categories', undefined],
      ['GET', '/api/prompts/tags', undefined],
      ['GET', '/api/prompts/7', undefined],
      ['POST', '/api/prompts', { name: 'n', description: '', tags: [], body: '{{x}}', variables, shared: false }],
      ['PATCH', '/api/prompts/7', { body: 'b', base_version: 3 }],
      ['DELETE', '/api/prompts/7', undefined],
      ['GET', '/api/prompts/7/versions?page=1&page_size=50', undefined],
      ['GET', '/api/prompts/7/versions/2', undefined],
      ['GET', '/api/prompts/7/diff?from_version=1&to_version=3', undefined],
      ['GET', '/api/prompts/7/diff', undefined],
      ['POST', '/api/prompts/7/restore/1', undefined],
      ['POST', '/api/prompts/7/render', { values: { x: '1' } }],
      ['POST', '/api/prompts/preview', { body: '{{x}}', variables, values: { x: 'v' } }],
    ])
    expect(calls.every((c) => c.headers.Authorization === 'Bearer user-token')).toBe(true)
  })

  it('rejects with the template problem code and the variables it names', async () => {
    installFakeFetch(() =>
      apiError(422, 'missing_variable', 'A value is required for: text.', { variables: ['text'] }),
    )

    await expect(promptsApi.preview({ body: '{{text}}', variables: [], values: {} }, { toast: false })).rejects.toMatchObject({
      status: 422,
      code: 'missing_variable',
      details: { variables: ['text'] },
    })
  })
})
