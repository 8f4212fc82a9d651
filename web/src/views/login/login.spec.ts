import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { LOCALE_KEY } from '@/stores/preferences'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { makeSession } from '@/test/fixtures'
import LoginPage from './index.vue'

async function mountLogin(handler: FakeHandler, path = '/login') {
  const calls = installFakeFetch(handler)
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: LoginPage },
      { path: '/register', name: 'register', component: { template: '<div />' } },
      { path: '/:rest(.*)*', name: 'elsewhere', component: { template: '<div />' } },
    ],
  })
  await router.push(path)
  const wrapper = mount(LoginPage, { global: { plugins: [createPinia(), i18n, router, ElementPlus] } })
  await flushPromises()
  return { wrapper, router, calls }
}

async function submit(wrapper: Awaited<ReturnType<typeof mountLogin>>['wrapper'], email: string, password: string) {
  await wrapper.find('[data-testid="login-email"] input').setValue(email)
  await wrapper.find('[data-testid="login-password"] input').setValue(password)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

beforeEach(() => {
  setAccessToken(null)
  localStorage.setItem(LOCALE_KEY, 'en')
})

describe('login page', () => {
  it('links to registration only while it is open', async () => {
    const open = await mountLogin(() => json(200, { registration_open: true }))
    expect(open.wrapper.find('[data-testid="register-link"]').exists()).toBe(true)

    const closed = await mountLogin(() => json(200, { registration_open: false }))
    expect(closed.wrapper.find('[data-testid="register-link"]').exists()).toBe(false)
  })

  it('shows the server error inline, e.g. a lockout', async () => {
    const { wrapper } = await mountLogin((call) =>
      call.url === '/api/auth/config'
        ? json(200, { registration_open: false })
        : apiError(429, 'too_many_attempts', 'Too many failed attempts, try again in 300 seconds'),
    )

    await submit(wrapper, 'ada@example.com', 'wrong-password')

    await vi.waitFor(() =>
      expect(wrapper.find('[data-testid="login-error"]').text()).toContain('Too many failed attempts'),
    )
  })

  it('does not call the server when the form is invalid', async () => {
    const { wrapper, calls } = await mountLogin(() => json(200, { registration_open: false }))

    await submit(wrapper, 'not-an-email', '')

    await vi.waitFor(() => expect(wrapper.text()).toContain('Enter a valid email address'))
    expect(calls.map((c) => c.url)).toEqual(['/api/auth/config'])
  })

  it('signs in and goes to the redirect target', async () => {
    const { wrapper, router, calls } = await mountLogin(
      (call) => (call.url === '/api/auth/config' ? json(200, { registration_open: false }) : json(200, makeSession())),
      '/login?redirect=/admin/users',
    )

    await submit(wrapper, 'ada@example.com', 'correct-password')

    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/admin/users'))
    expect(calls[1]).toMatchObject({
      url: '/api/auth/login',
      body: { email: 'ada@example.com', password: 'correct-password' },
    })
  })
})
