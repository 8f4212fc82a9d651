import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { LOCALE_KEY } from '@/stores/preferences'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { makeSession, makeUser } from '@/test/fixtures'
import RegisterPage from './index.vue'

async function mountRegister(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/register', component: RegisterPage },
      { path: '/:rest(.*)*', component: { template: '<div />' } },
    ],
  })
  await router.push('/register')
  const wrapper = mount(RegisterPage, { global: { plugins: [createPinia(), i18n, router, ElementPlus] } })
  await flushPromises()
  return { wrapper, router, calls }
}

type Wrapper = Awaited<ReturnType<typeof mountRegister>>['wrapper']

async function fill(wrapper: Wrapper, values: { email: string; name?: string; password: string; confirm: string }) {
  await wrapper.find('[data-testid="register-email"] input').setValue(values.email)
  await wrapper.find('[data-testid="register-name"] input').setValue(values.name ?? '')
  await wrapper.find('[data-testid="register-password"] input').setValue(values.password)
  await wrapper.find('[data-testid="register-confirm"] input').setValue(values.confirm)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

const open: FakeHandler = () => json(200, { registration_open: true })

beforeEach(() => {
  setAccessToken(null)
  localStorage.setItem(LOCALE_KEY, 'en')
})

describe('register page', () => {
  it('shows a notice instead of the form when registration is closed', async () => {
    const { wrapper } = await mountRegister(() => json(200, { registration_open: false }))

    expect(wrapper.find('[data-testid="register-closed"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="register-submit"]').exists()).toBe(false)
  })

  it.each([
    [{ email: 'nope', password: 'long-enough', confirm: 'long-enough' }, 'Enter a valid email address'],
    [{ email: 'ada@example.com', password: 'short', confirm: 'short' }, 'Use at least 8 characters'],
    [{ email: 'ada@example.com', password: 'ada@example.com', confirm: 'ada@example.com' }, 'must not be your email'],
    [{ email: 'ada@example.com', password: 'long-enough', confirm: 'long-enougj' }, 'The passwords do not match'],
  ])('checks %j before calling the server', async (values, message) => {
    const { wrapper, calls } = await mountRegister(open)

    await fill(wrapper, values)

    await vi.waitFor(() => expect(wrapper.text()).toContain(message))
    expect(calls.map((c) => c.url)).toEqual(['/api/auth/config'])
  })

  it('registers, signs in and goes home', async () => {
    const { wrapper, router, calls } = await mountRegister((call) => {
      if (call.url === '/api/auth/config') return open(call)
      if (call.url === '/api/auth/register') return json(201, makeUser())
      return json(200, makeSession())
    })

    await fill(wrapper, { email: 'ada@example.com', name: 'Ada', password: 'long-enough', confirm: 'long-enough' })

    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    expect(calls.slice(1).map((c) => [c.url, c.body])).toEqual([
      ['/api/auth/register', { email: 'ada@example.com', password: 'long-enough', display_name: 'Ada' }],
      ['/api/auth/login', { email: 'ada@example.com', password: 'long-enough' }],
    ])
  })

  it('shows a server rejection inline', async () => {
    const { wrapper } = await mountRegister((call) =>
      call.url === '/api/auth/config' ? open(call) : apiError(409, 'email_taken', 'Email already registered'),
    )

    await fill(wrapper, { email: 'ada@example.com', password: 'long-enough', confirm: 'long-enough' })

    await vi.waitFor(() =>
      expect(wrapper.find('[data-testid="register-error"]').text()).toContain('Email already registered'),
    )
  })
})
