import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { setAccessToken } from '@/api/http'
import { LOCALE_KEY } from '@/stores/preferences'
import type { Dashboard } from '@/api/types'
import { i18n } from '@/i18n'
import { installFakeFetch, json } from '@/test/fake-fetch'
import { makeDashboard } from '@/test/fixtures'
import DashboardPage from './index.vue'

vi.mock('vue-echarts', async () => ({ default: (await import('@/test/echarts-stub')).EChartsStub }))

async function mountPage(body: Dashboard = makeDashboard()) {
  installFakeFetch(() => json(200, body))
  const wrapper = mount(DashboardPage, { global: { plugins: [createPinia(), i18n, ElementPlus] } })
  await flushPromises()
  return wrapper
}

beforeEach(() => {
  setAccessToken('admin-token')
  // The preferences store (used by the charts) applies the stored language.
  localStorage.setItem(LOCALE_KEY, 'en')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  localStorage.clear()
  i18n.global.locale.value = 'zh-CN'
})

describe('admin dashboard page', () => {
  it('shows the stats, charts, provider health and top users', async () => {
    const wrapper = await mountPage()

    expect(wrapper.find('[data-testid="page-admin-dashboard"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="dashboard-range"]').exists()).toBe(true)
    const stats = wrapper.get('[data-testid="dashboard-stats"]')
    expect(stats.findAll('.stat-card')).toHaveLength(7)
    expect(stats.get('[data-testid="dashboard-stat-usersTotal"]').text()).toContain('12')
    expect(stats.get('[data-testid="dashboard-stat-usersActive"]').text()).toContain('5')
    expect(stats.get('[data-testid="dashboard-stat-messages"]').text()).toContain('310')
    expect(stats.get('[data-testid="dashboard-stat-tokens"]').text()).toContain('35.2K')
    expect(stats.get('[data-testid="dashboard-stat-cost"]').text()).toContain('$0.0123')

    for (const id of ['dashboard-chart-tokens', 'dashboard-chart-cost']) {
      const chart = wrapper.get(`[data-testid="${id}"] [data-testid="echarts"]`)
      expect(JSON.parse(chart.attributes('data-series')!)).toHaveLength(1)
    }
    const providers = wrapper.get('[data-testid="dashboard-providers"]').text()
    expect(providers).toContain('local')
    expect(providers).toContain('33.33%')
    expect(providers).toContain('421 ms')
    expect(wrapper.get('[data-testid="dashboard-top-users"]').text()).toContain('ada@example.com')
    expect(wrapper.get('[data-testid="dashboard-training"]').text()).toContain('No training jobs yet')
    wrapper.unmount()
  })

  it('lists training jobs by state once there are some, and says when nothing was called', async () => {
    const wrapper = await mountPage(
      makeDashboard({
        training_jobs_by_state: { running: 1, queued: 2 },
        totals: { calls: 0, input_tokens: 0, output_tokens: 0, cost: '0' },
        by_day_and_model: [],
        top_users: [{ user_id: null, email: null, calls: 1, tokens: 5, cost: '0' }],
      }),
    )
    const training = wrapper.get('[data-testid="dashboard-training"]')
    expect(training.find('[data-testid="dashboard-training-empty"]').exists()).toBe(false)
    expect(training.findAll('.stat-card').map((c) => c.text())).toEqual(['Queued2', 'Running1'])
    expect(wrapper.find('[data-testid="dashboard-chart-tokens"] [data-testid="echarts"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="dashboard-chart-tokens"]').text()).toContain('No model calls')
    expect(wrapper.get('[data-testid="dashboard-top-users"]').text()).toContain('Deleted user')
    wrapper.unmount()
  })
})
