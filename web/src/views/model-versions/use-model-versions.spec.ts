import { flushPromises, mount } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import type { ModelVersionRead } from '@/api/model-versions'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, noContent, type FakeHandler } from '@/test/fake-fetch'
import { POLL_MS, useModelVersions } from './use-model-versions'

vi.mock('element-plus', () => ({
  ElMessage: { error: vi.fn(), success: vi.fn(), warning: vi.fn() },
  ElMessageBox: { confirm: vi.fn() },
}))

const CONFIRMED = { action: 'confirm' } as unknown as Awaited<ReturnType<typeof ElMessageBox.confirm>>

function version(fields: Partial<ModelVersionRead> = {}): ModelVersionRead {
  return {
    id: 5,
    user_id: 1,
    name: 'numbers-lora',
    base_model_id: 1,
    adapter_path: '/data/adapter',
    model_path: null,
    template: 'smollm2',
    finetuning_type: 'lora',
    job_id: 3,
    status: 'stopped',
    port: null,
    pid: null,
    provider_id: null,
    served_model_id: null,
    restarts: 0,
    last_error: null,
    served_at: null,
    export_status: 'none',
    export_dir: null,
    export_error: null,
    created_at: '2026-11-23T10:00:00Z',
    updated_at: '2026-11-23T10:00:00Z',
    ...fields,
  }
}

const page = (items: ModelVersionRead[]) => ({ items, total: items.length, page: 1, page_size: 50 })

async function mountVersions(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useModelVersions>
  const Host = defineComponent({
    setup() {
      state = useModelVersions()
      return () => null
    },
  })
  const wrapper = mount(Host, { global: { plugins: [i18n] } })
  await flushPromises()
  return { state, calls, wrapper }
}

function handler(versions: () => ModelVersionRead[]): FakeHandler {
  return (call) => {
    if (call.url.startsWith('/api/model-versions?')) return json(200, page(versions()))
    if (call.url === '/api/training/base-models') return json(200, [])
    if (call.url === '/api/training/base-models/templates') return json(200, { templates: ['smollm2'], model_roots: ['/m'] })
    if (call.url === '/api/model-versions/5/serve') return json(202, version({ status: 'starting' }))
    if (call.url === '/api/model-versions/5' && call.method === 'DELETE') return noContent()
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  }
}

beforeEach(() => {
  setAccessToken('token')
  vi.mocked(ElMessageBox.confirm).mockReset()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('useModelVersions', () => {
  it('serves a version and polls until it is serving, then stops polling', async () => {
    vi.useFakeTimers()
    let current = version()
    const { state, calls } = await mountVersions(handler(() => [current]))
    expect(state.versions.value[0]?.status).toBe('stopped')
    expect(state.templates.value.templates).toEqual(['smollm2'])

    await state.serve(state.versions.value[0]!)
    expect(state.versions.value[0]?.status).toBe('starting')
    current = version({ status: 'serving', pid: 42 })
    await vi.advanceTimersByTimeAsync(POLL_MS)
    expect(state.versions.value[0]?.status).toBe('serving')

    const listed = calls.filter((call) => call.url.startsWith('/api/model-versions?')).length
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    expect(calls.filter((call) => call.url.startsWith('/api/model-versions?')).length).toBe(listed)
  })

  it('deletes a version only after confirmation', async () => {
    const { state, calls } = await mountVersions(handler(() => [version()]))
    vi.mocked(ElMessageBox.confirm).mockRejectedValueOnce('cancel')
    await state.removeVersion(state.versions.value[0]!)
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false)

    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce(CONFIRMED)
    await state.removeVersion(state.versions.value[0]!)
    expect(calls.some((call) => call.method === 'DELETE')).toBe(true)
    expect(state.versions.value).toEqual([])
  })
})
