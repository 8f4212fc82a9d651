import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeCall } from '@/test/fake-fetch'
import { makeQuota } from '@/test/fixtures'
import QuotasPage from './index.vue'

const bob = makeQuota()
const settings = { registration_open: true, default_monthly_token_limit: 100000, default_monthly_cost_limit: null }

async function mountPage(extra: (call: FakeCall) => Response | undefined = () => undefined) {
  const calls = installFakeFetch((call) => {
    const response = extra(call)
    if (response) return response
    if (call.url === '/api/usage/quotas') return json(200, [bob])
    if (call.url === '/api/admin/settings') return json(200, settings)
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  })
  const wrapper = mount(QuotasPage, {
    attachTo: document.body,
    global: { plugins: [createPinia(), i18n, ElementPlus], stubs: { RouterLink: RouterLinkStub } },
  })
  await flushPromises()
  return { wrapper, calls }
}

const byTestId = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

async function type(testId: string, value: string): Promise<void> {
  const input = byTestId(testId)!.querySelector('input')!
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

beforeEach(() => {
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('quotas page', () => {
  it('lists users with their own budget and shows the default with a link to settings', async () => {
    const { wrapper } = await mountPage()
    expect(wrapper.find('[data-testid="page-admin-quotas"]').exists()).toBe(true)
    const table = wrapper.get('[data-testid="quota-table"]').text()
    expect(table).toContain('bob@example.com')
    expect(table).toContain('1,000 of 50,000')
    expect(table).toContain('$0.50 of $5.00')
    expect(wrapper.get('[data-testid="quota-default-tokens"]').text()).toBe('100,000')
    expect(wrapper.get('[data-testid="quota-default-cost"]').text()).toBe('Unlimited')
    expect(wrapper.getComponent(RouterLinkStub).props('to')).toBe('/admin/settings')
    expect(wrapper.find('[data-testid="quota-set"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="quota-reset"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('edits a budget: a cleared field is sent as null', async () => {
    const { wrapper, calls } = await mountPage((call) =>
      call.method === 'PUT' ? json(200, makeQuota({ token_limit: null, cost_limit: '7.5' })) : undefined,
    )
    await wrapper.get('[data-testid="quota-edit"]').trigger('click')
    await flushPromises()
    expect(byTestId('quota-form-user')).not.toBeNull()
    expect(byTestId('quota-form-tokens')!.querySelector('input')!.value).toBe('50000')

    await type('quota-form-tokens', '')
    await type('quota-form-cost', '7.5')
    byTestId('quota-form-submit')!.click()
    await flushPromises()

    const put = calls.find((c) => c.method === 'PUT')
    expect(put?.url).toBe('/api/usage/quotas/2')
    expect(put?.body).toEqual({ monthly_token_limit: null, monthly_cost_limit: '7.5' })
    wrapper.unmount()
  })

  it('does not send an invalid budget', async () => {
    const { wrapper, calls } = await mountPage()
    await wrapper.get('[data-testid="quota-edit"]').trigger('click')
    await flushPromises()
    await type('quota-form-cost', '1.23456')
    byTestId('quota-form-submit')!.click()
    await flushPromises()
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)
    // Element Plus shows a form item's error after a short debounce.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(byTestId('quota-form-cost')!.textContent).toContain('at most 4 decimals')
    wrapper.unmount()
  })
})
