import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { setAccessToken } from '@/api/http'
import { LOCALE_KEY, usePreferencesStore } from '@/stores/preferences'
import { i18n } from '@/i18n'
import { installFakeFetch, json } from '@/test/fake-fetch'
import { makeMyUsage } from '@/test/fixtures'
import UsagePage from './index.vue'

vi.mock('vue-echarts', async () => ({ default: (await import('@/test/echarts-stub')).EChartsStub }))

async function mountPage(body = makeMyUsage()) {
  installFakeFetch(() => json(200, body))
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(UsagePage, { global: { plugins: [pinia, i18n, ElementPlus] } })
  await flushPromises()
  return wrapper
}

beforeEach(() => {
  setAccessToken('token')
  // The preferences store (used by the charts) applies the stored language.
  localStorage.setItem(LOCALE_KEY, 'en')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  localStorage.clear()
  i18n.global.locale.value = 'zh-CN'
  document.documentElement.classList.remove('dark')
})

describe('usage page', () => {
  it('shows totals, the budget, both charts and the table by model', async () => {
    const wrapper = await mountPage()

    expect(wrapper.find('[data-testid="page-usage"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="usage-range"]').exists()).toBe(true)
    const totals = wrapper.get('[data-testid="usage-totals"]').text()
    expect(totals).toContain('3')
    expect(totals).toContain('1,200')
    expect(totals).toContain('34K')
    expect(totals).toContain('$0.0123')

    const budget = wrapper.get('[data-testid="usage-budget"]')
    expect(budget.get('[data-testid="budget-tokens"]').text()).toContain('35,200 of 100,000')
    expect(budget.find('[data-testid="budget-tokens"] .el-progress').exists()).toBe(true)
    expect(budget.get('[data-testid="budget-cost"]').text()).toContain('Unlimited')
    expect(budget.text()).toContain('Default budget')
    expect(budget.get('[data-testid="usage-budget-resets"]').text()).toContain('Resets on')

    const daily = wrapper.get('[data-testid="usage-chart-daily"] [data-testid="echarts"]')
    expect(daily.attributes('data-autoresize')).toBe('true')
    expect(JSON.parse(daily.attributes('data-series')!)[0]).toMatchObject({ name: 'gpt-test' })
    expect(wrapper.find('[data-testid="usage-chart-cost"] [data-testid="echarts"]').exists()).toBe(true)

    const table = wrapper.get('[data-testid="usage-by-model"]').text()
    expect(table).toContain('gpt-test')
    expect(table).toContain('34,000')
    expect(wrapper.find('[data-testid="usage-empty"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('re-themes the charts when dark mode is toggled', async () => {
    const wrapper = await mountPage()
    const theme = () => wrapper.get('[data-testid="usage-chart-daily"] [data-testid="echarts"]').attributes('data-theme')
    const preferences = usePreferencesStore()
    const before = preferences.dark
    expect(theme()).toBe(before ? 'dark' : 'default')
    preferences.toggleDark()
    await nextTick()
    expect(theme()).toBe(before ? 'default' : 'dark')
    wrapper.unmount()
  })

  it('shows an empty state and no charts before any usage', async () => {
    const wrapper = await mountPage(
      makeMyUsage({
        totals: { calls: 0, input_tokens: 0, output_tokens: 0, cost: '0' },
        by_day: [],
        by_model: [],
        by_day_and_model: [],
        budget: { ...makeMyUsage().budget, tokens_used: 0, token_limit: null, is_default: false },
      }),
    )
    expect(wrapper.get('[data-testid="usage-empty"]').text()).toContain('No usage yet')
    expect(wrapper.find('[data-testid="usage-chart-daily"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="usage-budget"]').text()).toContain('Personal budget')
    wrapper.unmount()
  })
})
