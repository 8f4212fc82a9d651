import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeCall, type FakeHandler } from '@/test/fake-fetch'
import { makeModel, makePreset, makeProvider } from '@/test/fixtures'
import ProvidersPage from './index.vue'

const provider = makeProvider({
  id: 1,
  name: 'local',
  model_count: 1,
  extra_header_names: ['X-Org'],
  last_test: {
    outcome: 'ok',
    latency_ms: 12,
    message: 'pong',
    status: 200,
    tested_at: '2025-02-01T00:00:00Z',
    model: 'gpt-test',
  },
})
const model = makeModel({ id: 10, provider_id: 1, model_id: 'gpt-test', available: false })

/** Answers a call, or returns undefined to fall through to the default page data. */
type Override = (call: FakeCall) => Response | undefined | Promise<Response | undefined>

function handler(extra?: Override): FakeHandler {
  return async (call) => {
    const response = extra ? await extra(call) : undefined
    if (response) return response
    if (call.url === '/api/providers/presets') return json(200, [makePreset()])
    if (call.url === '/api/providers') return json(200, [provider])
    if (call.url === '/api/providers/1/models') return json(200, [model])
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  }
}

async function mountPage(extra?: Override) {
  const calls = installFakeFetch(handler(extra))
  const wrapper = mount(ProvidersPage, {
    attachTo: document.body,
    global: { plugins: [createPinia(), i18n, ElementPlus] },
  })
  await flushPromises()
  return { wrapper, calls }
}

const byTestId = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

beforeEach(() => {
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('providers page', () => {
  it('shows the provider card with its key hint and last test, and the model table', async () => {
    const { wrapper } = await mountPage()

    const card = wrapper.get('[data-testid="provider-local"]')
    expect(card.text()).toContain('sk-…a1b2')
    expect(card.get('[data-testid="test-result"]').text()).toContain('ok')
    expect(card.get('[data-testid="test-result"]').text()).toContain('12 ms')
    expect(card.get('[data-testid="provider-enabled"]').classes()).toContain('el-switch')
    expect(wrapper.get('[data-testid="model-enabled"]').classes()).toContain('el-switch')
    for (const id of ['provider-refresh', 'provider-test', 'provider-edit', 'provider-delete', 'provider-enabled']) {
      expect(card.find(`[data-testid="${id}"]`).exists()).toBe(true)
    }
    const table = wrapper.get('[data-testid="models-table"]')
    expect(table.find('[data-testid="model-gpt-test"]').exists()).toBe(true)
    expect(table.get('[data-testid="model-unavailable"]').text()).toBe('Unavailable')
    wrapper.unmount()
  })

  it('edits a provider: the key is kept until replaced, and a 409 stays inline in the open dialog', async () => {
    const { wrapper, calls } = await mountPage((call) =>
      call.method === 'PATCH' ? apiError(409, 'provider_name_taken', "A provider named 'other' already exists.") : undefined,
    )

    await wrapper.get('[data-testid="provider-edit"]').trigger('click')
    await flushPromises()
    expect(byTestId('provider-form-preset')!.classList).toContain('el-select')
    expect(byTestId('provider-form-base-url')!.querySelector('input')!.value).toBe('http://127.0.0.1:9000/v1')
    expect(byTestId('provider-form-key-hint')?.textContent).toContain('sk-…a1b2')
    expect(byTestId('provider-form-api-key')).toBeNull()

    byTestId('provider-form-replace-key')!.click()
    await flushPromises()
    const keyInput = byTestId('provider-form-api-key')!.querySelector('input')!
    keyInput.value = 'sk-new-key'
    keyInput.dispatchEvent(new Event('input'))
    const nameInput = byTestId('provider-form-name')!.querySelector('input')!
    nameInput.value = 'other'
    nameInput.dispatchEvent(new Event('input'))
    await flushPromises()

    byTestId('provider-form-submit')!.click()
    await vi.waitFor(() => expect(byTestId('provider-form-name')!.textContent).toContain('already exists'))

    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ name: 'other', api_key: 'sk-new-key' })
    expect(byTestId('provider-form-submit')).not.toBeNull()
    wrapper.unmount()
  })

  it('saves a parameter preset and restricted visibility from the model dialog', async () => {
    const saved = { ...model, visibility: 'restricted' as const, allowed_roles: ['admin' as const] }
    const { wrapper, calls } = await mountPage((call) => {
      if (call.method === 'PATCH') return json(200, saved)
      if (call.url.startsWith('/api/users')) return json(200, { items: [], total: 0, page: 1, page_size: 200 })
      return undefined
    })

    await wrapper.get('[data-testid="model-edit"]').trigger('click')
    await flushPromises()
    const temperature = byTestId('model-form-temperature')!.querySelector('input')!
    temperature.value = '0.3'
    temperature.dispatchEvent(new Event('input'))
    temperature.dispatchEvent(new Event('change'))
    byTestId('model-form-visibility-restricted')!.querySelector('input')!.click()
    await flushPromises()
    byTestId('model-form-role-admin')!.querySelector('input')!.click()
    await flushPromises()

    // The test ids sit on the component roots the end-to-end tests drive.
    expect(byTestId('model-form-temperature')!.classList).toContain('el-input-number')
    expect(byTestId('model-form-max-tokens')!.classList).toContain('el-input-number')
    expect(byTestId('model-form-display-name')!.querySelector('input')).not.toBeNull()
    expect(byTestId('model-form-visibility')!.classList).toContain('el-radio-group')
    expect(byTestId('model-form-roles')!.classList).toContain('el-checkbox-group')
    expect(byTestId('model-form-stop')!.classList).toContain('el-select')

    byTestId('model-form-submit')!.click()
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true))

    expect(calls.find((c) => c.method === 'PATCH')?.body).toMatchObject({
      parameters: { temperature: 0.3 },
      visibility: 'restricted',
      allowed_roles: ['admin'],
      allowed_user_ids: [],
    })
    expect(calls.some((c) => c.url === '/api/users?page=1&page_size=200')).toBe(true)
    wrapper.unmount()
  })

  it('adds a provider from a preset: name and base URL follow the preset, a bad URL is refused', async () => {
    const created = makeProvider({ id: 2, name: 'OpenAI-compatible server', has_api_key: false, api_key_hint: null })
    const { wrapper, calls } = await mountPage((call) => (call.method === 'POST' ? json(201, created) : undefined))

    await wrapper.get('[data-testid="providers-add"]').trigger('click')
    await flushPromises()
    byTestId('provider-form-preset')!.querySelector<HTMLElement>('.el-select__wrapper')!.click()
    await flushPromises()
    const option = Array.from(document.body.querySelectorAll<HTMLElement>('.el-select-dropdown__item')).find((el) =>
      el.textContent?.includes('OpenAI-compatible server'),
    )!
    option.click()
    await flushPromises()
    const name = byTestId('provider-form-name')!.querySelector('input')!
    const baseUrl = byTestId('provider-form-base-url')!.querySelector('input')!
    expect([name.value, baseUrl.value]).toEqual(['OpenAI-compatible server', 'http://localhost:8000/v1'])

    baseUrl.value = 'localhost:9000'
    baseUrl.dispatchEvent(new Event('input'))
    await flushPromises()
    byTestId('provider-form-submit')!.click()
    await vi.waitFor(() => expect(byTestId('provider-form-base-url')!.textContent).toContain('http://'))
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    baseUrl.value = 'http://127.0.0.1:9000/v1'
    baseUrl.dispatchEvent(new Event('input'))
    const key = byTestId('provider-form-api-key')!.querySelector('input')!
    key.value = 'sk-secret'
    key.dispatchEvent(new Event('input'))
    await flushPromises()
    byTestId('provider-form-submit')!.click()
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true))

    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      name: 'OpenAI-compatible server',
      preset: 'openai-compatible',
      base_url: 'http://127.0.0.1:9000/v1',
      api_key: 'sk-secret',
      extra_headers: {},
      timeout_seconds: 60,
      enabled: true,
    })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="provider-OpenAI-compatible server"]').exists()).toBe(true))
    wrapper.unmount()
  })
})
