import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { makeDashboard } from '@/test/fixtures'
import { trainingEntries, useDashboard } from './use-dashboard'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

async function mountDashboard(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useDashboard>
  const Host = defineComponent({
    setup() {
      state = useDashboard()
      return () => null
    },
  })
  mount(Host, { global: { plugins: [i18n] } })
  await flushPromises()
  return { state, calls }
}

const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams)

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2025-03-03T23:59:00Z'))
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  vi.useRealTimers()
  i18n.global.locale.value = 'zh-CN'
})

describe('useDashboard', () => {
  it('loads the dashboard for the default range and again when the range changes', async () => {
    const { state, calls } = await mountDashboard(() => json(200, makeDashboard()))
    expect(new URL(calls[0]!.url, 'http://x').pathname).toBe('/api/admin/dashboard')
    expect(query(calls[0]!.url)).toEqual({ since: '2025-02-02T00:00:00.000Z', until: '2025-03-04T00:00:00.000Z' })

    state.range.value = ['2025-03-02', '2025-03-03']
    await flushPromises()
    expect(query(calls[1]!.url)).toEqual({ since: '2025-03-02T00:00:00.000Z', until: '2025-03-04T00:00:00.000Z' })
    // Rows outside the picked days still show (the server decides what is in range).
    expect((state.tokensChart.value!.xAxis as { data: string[] }).data).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
    ])
    expect(state.costChart.value!.series).toEqual([
      expect.objectContaining({ type: 'bar', stack: 'total', data: [0.01, 0, 0.0023] }),
    ])
    expect(state.hasUsage.value).toBe(true)
    expect(state.maxTtft.value).toBe(420.5)
    expect(state.training.value).toEqual([])
  })

  it('orders training states the way a job moves through them', () => {
    expect(trainingEntries({ failed: 1, zeta: 2, queued: 3, running: 4, alpha: 5 })).toEqual([
      { state: 'queued', count: 3 },
      { state: 'running', count: 4 },
      { state: 'failed', count: 1 },
      { state: 'alpha', count: 5 },
      { state: 'zeta', count: 2 },
    ])
    expect(trainingEntries({})).toEqual([])
  })
})
