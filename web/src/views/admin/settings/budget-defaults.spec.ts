import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setAccessToken } from '@/api/http'
import type { AppSettingsRead } from '@/api/types'
import { i18n } from '@/i18n'
import { installFakeFetch, json } from '@/test/fake-fetch'
import BudgetDefaults from './budget-defaults.vue'

const settings: AppSettingsRead = {
  registration_open: true,
  default_monthly_token_limit: 100000,
  default_monthly_cost_limit: '5.0000',
}

beforeEach(() => {
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
})

describe('default budgets in the settings', () => {
  it('shows the stored budgets and saves cleared ones as null', async () => {
    const updated = { ...settings, default_monthly_token_limit: null, default_monthly_cost_limit: '2.5' }
    const calls = installFakeFetch(() => json(200, updated))
    const wrapper = mount(BudgetDefaults, { props: { settings }, global: { plugins: [i18n, ElementPlus] } })
    const tokens = wrapper.get('[data-testid="settings-default-tokens"] input')
    const cost = wrapper.get('[data-testid="settings-default-cost"] input')
    expect((tokens.element as HTMLInputElement).value).toBe('100000')
    expect((cost.element as HTMLInputElement).value).toBe('5')

    await tokens.setValue('')
    await cost.setValue('2.5')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      method: 'PATCH',
      url: '/api/admin/settings',
      body: { default_monthly_token_limit: null, default_monthly_cost_limit: '2.5' },
    })
    expect(wrapper.emitted('saved')?.[0]).toEqual([updated])
  })

  it('refuses a token limit that is not a whole number', async () => {
    const calls = installFakeFetch(() => json(200, settings))
    const wrapper = mount(BudgetDefaults, { props: { settings }, global: { plugins: [i18n, ElementPlus] } })
    await wrapper.get('[data-testid="settings-default-tokens"] input').setValue('12.5')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(0)
    // Element Plus shows a form item's error after a short debounce.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(wrapper.get('[data-testid="settings-default-tokens"]').text()).toContain('whole number')
  })
})
