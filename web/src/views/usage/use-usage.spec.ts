import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { makeMyUsage } from '@/test/fixtures'
import { useUsage } from './use-usage'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

async function mountUsage(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useUsage>
  const Host = defineComponent({
    setup() {
      state = useUsage()
      return () => null
    },
  })
  const wrapper = mount(Host, { global: { plugins: [i18n] } })
  await flushPromises()
  return { state, calls, wrapper }
}

const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams)

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2025-03-03T10:00:00Z'))
  setAccessToken('token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  vi.useRealTimers()
  i18n.global.locale.value = 'zh-CN'
})

describe('useUsage', () => {
  it('asks for the last 30 UTC days by default', async () => {
    const { state, calls } = await mountUsage(() => json(200, makeMyUsage()))

    expect(calls).toHaveLength(1)
    expect(new URL(calls[0]!.url, 'http://x').pathname).toBe('/api/usage/me')
    expect(query(calls[0]!.url)).toEqual({
      since: '2025-02-02T00:00:00.000Z',
      until: '2025-03-04T00:00:00.000Z',
    })
    expect(state.range.value).toEqual(['2025-02-02', '2025-03-03'])
    expect(state.days.value).toHaveLength(30)
  })

  it('reloads with the new range as since / until and fills the chart for every day', async () => {
    const { state, calls } = await mountUsage(() => json(200, makeMyUsage()))

    state.range.value = ['2025-03-01', '2025-03-03']
    await flushPromises()

    expect(calls).toHaveLength(2)
    expect(query(calls[1]!.url)).toEqual({ since: '2025-03-01T00:00:00.000Z', until: '2025-03-04T00:00:00.000Z' })
    const tokens = state.tokensChart.value!
    expect((tokens.xAxis as { data: string[] }).data).toEqual(['2025-03-01', '2025-03-02', '2025-03-03'])
    expect(tokens.series).toEqual([expect.objectContaining({ name: 'gpt-test', data: [31000, 0, 4200] })])
    const cost = state.costChart.value!
    expect(cost.series).toEqual([expect.objectContaining({ type: 'line', data: [0.01, 0, 0.0023] })])
    expect(state.isEmpty.value).toBe(false)
    expect(state.budget.value).toMatchObject({ tokenPercent: 35.2, costPercent: null })
  })

  it('is empty when there were no calls in the range', async () => {
    const empty = makeMyUsage({
      totals: { calls: 0, input_tokens: 0, output_tokens: 0, cost: '0' },
      by_day: [],
      by_model: [],
      by_day_and_model: [],
    })
    const { state } = await mountUsage(() => json(200, empty))
    expect(state.isEmpty.value).toBe(true)
    expect(state.tokensChart.value?.series).toEqual([])
  })

  it('keeps only the answer to the latest range', async () => {
    let release!: () => void
    const slow = new Promise<void>((resolve) => (release = resolve))
    const { state } = await mountUsage(async (call) => {
      if (query(call.url).since === '2025-01-01T00:00:00.000Z') {
        await slow
        return json(200, makeMyUsage({ totals: { calls: 99, input_tokens: 0, output_tokens: 0, cost: '0' } }))
      }
      return json(200, makeMyUsage())
    })
    state.range.value = ['2025-01-01', '2025-01-31']
    await flushPromises()
    state.range.value = ['2025-03-01', '2025-03-03']
    await flushPromises()
    release()
    await flushPromises()
    expect(state.data.value?.totals.calls).toBe(3)
    expect(state.loading.value).toBe(false)
  })

  it('keeps the previous numbers when a reload fails', async () => {
    let fail = false
    const { state } = await mountUsage(() => (fail ? apiError(500, 'boom', 'Boom') : json(200, makeMyUsage())))
    fail = true
    state.range.value = ['2025-03-01', '2025-03-02']
    await flushPromises()
    expect(state.data.value?.totals.calls).toBe(3)
    expect(state.loading.value).toBe(false)
  })
})
