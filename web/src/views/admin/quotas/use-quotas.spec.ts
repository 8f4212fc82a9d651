import { flushPromises, mount } from '@vue/test-utils'
import { ElMessage, ElMessageBox } from 'element-plus'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, noContent, type FakeCall, type FakeHandler } from '@/test/fake-fetch'
import { makeQuota, makeUser } from '@/test/fixtures'
import { useQuotas } from './use-quotas'

vi.mock('element-plus', () => ({
  ElMessage: { error: vi.fn(), success: vi.fn() },
  ElMessageBox: { confirm: vi.fn() },
}))

const CONFIRMED = { action: 'confirm' } as unknown as Awaited<ReturnType<typeof ElMessageBox.confirm>>
const bob = makeQuota()
const settings = { registration_open: false, default_monthly_token_limit: 100000, default_monthly_cost_limit: null }

type Override = (call: FakeCall) => Response | undefined

function handler(override: Override = () => undefined): FakeHandler {
  return (call) => {
    const response = override(call)
    if (response) return response
    if (call.url === '/api/usage/quotas') return json(200, [bob])
    if (call.url === '/api/admin/settings') return json(200, settings)
    if (call.url.startsWith('/api/users?')) {
      return json(200, { items: [makeUser({ id: 3, email: 'cy@example.com' })], total: 1, page: 1, page_size: 20 })
    }
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  }
}

async function mountQuotas(h: FakeHandler) {
  const calls = installFakeFetch(h)
  let state!: ReturnType<typeof useQuotas>
  const Host = defineComponent({
    setup() {
      state = useQuotas()
      return () => null
    },
  })
  mount(Host, { global: { plugins: [i18n] } })
  await flushPromises()
  return { state, calls }
}

beforeEach(() => {
  setAccessToken('admin-token')
  i18n.global.locale.value = 'en'
  vi.mocked(ElMessageBox.confirm).mockReset()
  vi.mocked(ElMessage.success).mockClear()
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
})

describe('useQuotas', () => {
  it('loads the users with a budget and the default budget', async () => {
    const { state } = await mountQuotas(handler())
    expect(state.quotas.value).toEqual([bob])
    expect(state.defaults.value).toEqual(settings)
  })

  it('searches users for the picker with the typed text', async () => {
    const { state, calls } = await mountQuotas(handler())
    state.openCreate()
    await flushPromises()
    await state.searchUsers(' cy ')
    const searches = calls.filter((c) => c.url.startsWith('/api/users?'))
    expect(searches.map((c) => c.url)).toEqual(['/api/users?page=1&page_size=20', '/api/users?q=cy&page=1&page_size=20'])
    expect(state.userOptions.value).toEqual([{ id: 3, email: 'cy@example.com' }])
  })

  it('sets a budget with PUT, empty fields as null, then reloads', async () => {
    const saved = makeQuota({ user_id: 3, email: 'cy@example.com', token_limit: 2000, cost_limit: null })
    const { state, calls } = await mountQuotas(
      handler((call) => (call.method === 'PUT' ? json(200, saved) : undefined)),
    )
    state.openCreate()
    state.form.userId = 3
    state.form.tokens = '2,000'
    state.form.cost = ''
    expect(await state.submit()).toBe(true)

    const put = calls.find((c) => c.method === 'PUT')!
    expect(put.url).toBe('/api/usage/quotas/3')
    expect(put.body).toEqual({ monthly_token_limit: 2000, monthly_cost_limit: null })
    expect(state.dialogOpen.value).toBe(false)
    expect(ElMessage.success).toHaveBeenCalledWith('Budget of cy@example.com saved')
    expect(calls.filter((c) => c.url === '/api/usage/quotas')).toHaveLength(2)
  })

  it('shows a refused budget in the dialog, which stays open', async () => {
    const { state } = await mountQuotas(
      handler((call) => (call.method === 'PUT' ? apiError(422, 'invalid_input', 'Too many decimals') : undefined)),
    )
    state.openEdit(bob)
    expect(state.form).toMatchObject({ userId: 2, tokens: '50000', cost: '5' })
    expect(await state.submit()).toBe(false)
    expect(state.formError.value).toBe('Too many decimals')
    expect(state.dialogOpen.value).toBe(true)
    expect(ElMessage.error).not.toHaveBeenCalled()
  })

  it('does nothing without a picked user', async () => {
    const { state, calls } = await mountQuotas(handler())
    state.openCreate()
    expect(await state.submit()).toBe(false)
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)
  })

  it('resets a user to the default after confirming', async () => {
    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce(CONFIRMED)
    const { state, calls } = await mountQuotas(
      handler((call) => (call.method === 'DELETE' ? noContent() : undefined)),
    )
    await state.reset(bob)
    expect(calls.find((c) => c.method === 'DELETE')?.url).toBe('/api/usage/quotas/2')

    vi.mocked(ElMessageBox.confirm).mockRejectedValueOnce('cancel')
    await state.reset(bob)
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
  })
})
