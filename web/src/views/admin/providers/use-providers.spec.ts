import { flushPromises, mount } from '@vue/test-utils'
import { ElMessageBox, ElNotification } from 'element-plus'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import type { ProviderRead } from '@/api/types'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, noContent, type FakeCall, type FakeHandler } from '@/test/fake-fetch'
import { makeModel, makePreset, makeProvider } from '@/test/fixtures'
import { useProviders } from './use-providers'

vi.mock('element-plus', () => ({
  ElMessage: { error: vi.fn(), success: vi.fn(), warning: vi.fn() },
  ElMessageBox: { confirm: vi.fn() },
  ElNotification: vi.fn(),
}))

const CONFIRMED = { action: 'confirm' } as unknown as Awaited<ReturnType<typeof ElMessageBox.confirm>>
const alpha = makeProvider({ id: 1, name: 'alpha', model_count: 1 })
const beta = makeProvider({ id: 2, name: 'beta' })
const alphaModel = makeModel({ id: 10, provider_id: 1, model_id: 'a-1' })

async function mountProviders(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useProviders>
  const Host = defineComponent({
    setup() {
      state = useProviders()
      return () => null
    },
  })
  const wrapper = mount(Host, { global: { plugins: [i18n] } })
  await flushPromises()
  return { state, calls, wrapper }
}

type Override = (call: FakeCall) => Response | undefined

function baseHandler(overrides: Override = () => undefined): FakeHandler {
  return async (call) => {
    const override = await overrides(call)
    if (override) return override
    if (call.url === '/api/providers/presets') return json(200, [makePreset()])
    if (call.url === '/api/providers') return json(200, [alpha, beta])
    if (call.url === '/api/providers/1/models') return json(200, [alphaModel])
    if (call.url === '/api/providers/2/models') return json(200, [])
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  }
}

beforeEach(() => {
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
  vi.mocked(ElNotification).mockClear()
  vi.mocked(ElMessageBox.confirm).mockReset()
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
})

describe('useProviders', () => {
  it('loads presets and providers, selects the first provider and loads its models', async () => {
    const { state, calls } = await mountProviders(baseHandler())

    expect(state.providers.value.map((p) => p.name)).toEqual(['alpha', 'beta'])
    expect(state.selectedId.value).toBe(1)
    expect(state.models.value).toEqual([alphaModel])
    expect(state.presetName(alpha)).toBe('OpenAI-compatible server')
    expect(calls.map((c) => c.url)).toContain('/api/providers/1/models')

    state.select(2)
    await flushPromises()
    expect(state.models.value).toEqual([])
  })

  it('refreshes models, keeps the summary, tells the admin what changed and reloads', async () => {
    const summary = { added: ['a', 'b', 'c'], restored: [], unavailable: ['old'], unchanged: 5, total: 9 }
    const refreshed: ProviderRead = { ...beta, model_count: 9, last_refreshed_at: '2025-02-01T00:00:00Z' }
    const { state, calls } = await mountProviders(
      baseHandler((call) => {
        if (call.url === '/api/providers/2/refresh-models') return json(200, summary)
        if (call.url === '/api/providers/2') return json(200, refreshed)
        return undefined
      }),
    )

    const pending = state.refreshModels(beta)
    expect(state.refreshing[2]).toBe(true)
    await expect(pending).resolves.toEqual(summary)

    expect(state.refreshing[2]).toBe(false)
    expect(state.summaries[2]).toEqual(summary)
    expect(ElNotification).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'warning', message: '3 added, 1 unavailable, 5 unchanged' }),
    )
    expect(state.providers.value.find((p) => p.id === 2)?.model_count).toBe(9)
    expect(state.selectedId.value).toBe(2)
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/providers/2/refresh-models'])
  })

  it('keeps no summary when the upstream refresh fails', async () => {
    const { state } = await mountProviders(
      baseHandler((call) =>
        call.url === '/api/providers/1/refresh-models'
          ? apiError(502, 'upstream_unreachable', 'Cannot connect')
          : undefined,
      ),
    )

    await expect(state.refreshModels(alpha)).resolves.toBeNull()
    expect(state.refreshing[1]).toBe(false)
    expect(state.summaries[1]).toBeUndefined()
    expect(ElNotification).not.toHaveBeenCalled()
  })

  it('tests the connection with an optional model and shows the result on the provider', async () => {
    const result = { outcome: 'ok', latency_ms: 42.4, message: 'pong', status: 200, tested_at: '2025-02-01T00:00:00Z', model: 'a-1' }
    const { state, calls } = await mountProviders(
      baseHandler((call) =>
        call.url === '/api/providers/1/test' ? json(200, result) : undefined,
      ),
    )

    await state.testConnection(alpha, 'a-1')
    await state.testConnection(alpha)

    expect(calls.filter((c) => c.url === '/api/providers/1/test').map((c) => c.body)).toEqual([{ model: 'a-1' }, {}])
    expect(state.providers.value[0].last_test).toEqual(result)
    expect(state.testing[1]).toBe(false)
  })

  it('deletes a provider only after confirmation and selects the next one', async () => {
    const { state, calls } = await mountProviders(
      baseHandler((call) =>
        call.method === 'DELETE' && call.url === '/api/providers/1' ? noContent() : undefined,
      ),
    )

    vi.mocked(ElMessageBox.confirm).mockRejectedValueOnce('cancel')
    await state.removeProvider(alpha)
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)

    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce(CONFIRMED)
    await state.removeProvider(alpha)
    await flushPromises()
    expect(state.providers.value.map((p) => p.name)).toEqual(['beta'])
    expect(state.selectedId.value).toBe(2)
  })

  it('toggles and deletes models, keeping the provider’s model count in step', async () => {
    const enabled = { ...alphaModel, enabled: true }
    const { state, calls } = await mountProviders(
      baseHandler((call) => {
        if (call.url === '/api/models/10' && call.method === 'PATCH') return json(200, enabled)
        if (call.url === '/api/models/10' && call.method === 'DELETE') return noContent()
        return undefined
      }),
    )

    await state.setModelEnabled(alphaModel, true)
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ enabled: true })
    expect(state.models.value[0].enabled).toBe(true)

    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce(CONFIRMED)
    await state.removeModel(enabled)
    expect(state.models.value).toEqual([])
    expect(state.providers.value[0].model_count).toBe(0)

    state.upsertModel(makeModel({ id: 11, provider_id: 1, model_id: 'manual' }))
    expect(state.models.value.map((m) => m.model_id)).toEqual(['manual'])
    expect(state.providers.value[0].model_count).toBe(1)
  })
})
