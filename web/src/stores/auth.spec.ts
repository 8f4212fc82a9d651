import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { getAccessToken, http, setAccessToken } from '@/api/http'
import { apiError, installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makeSession, makeUser } from '@/test/fixtures'
import { useAuthStore } from './auth'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

beforeEach(() => {
  setActivePinia(createPinia())
  setAccessToken(null)
})

describe('auth store', () => {
  it('login stores the user and the access token', async () => {
    const session = makeSession('t-login', makeUser({ role: 'admin' }))
    const calls = installFakeFetch(() => json(200, session))
    const auth = useAuthStore()

    await auth.login({ email: 'ada@example.com', password: 'secret-123' })

    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/auth/login' })
    expect(auth.user).toEqual(session.user)
    expect(auth.token).toBe('t-login')
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.isAdmin).toBe(true)
    expect(getAccessToken()).toBe('t-login')
  })

  it('logout clears the user and the token even if the server call fails', async () => {
    installFakeFetch((call) =>
      call.url === '/api/auth/login' ? json(200, makeSession()) : apiError(500, 'internal', 'Boom'),
    )
    const auth = useAuthStore()
    await auth.login({ email: 'ada@example.com', password: 'secret-123' })

    await auth.logout()

    expect(auth.user).toBeNull()
    expect(auth.token).toBeNull()
    expect(getAccessToken()).toBeNull()
  })

  it('logout posts to the logout endpoint', async () => {
    const calls = installFakeFetch((call) => (call.url === '/api/auth/login' ? json(200, makeSession()) : noContent()))
    const auth = useAuthStore()
    await auth.login({ email: 'ada@example.com', password: 'secret-123' })

    await auth.logout()

    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/auth/login', 'POST /api/auth/logout'])
    expect(auth.isAuthenticated).toBe(false)
  })

  it('restore signs in from the refresh cookie, once per page load', async () => {
    const session = makeSession('t-restored')
    const calls = installFakeFetch(() => json(200, session))
    const auth = useAuthStore()

    await Promise.all([auth.restore(), auth.restore()])
    await auth.restore()

    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/auth/refresh' })
    expect(auth.user).toEqual(session.user)
    expect(getAccessToken()).toBe('t-restored')
  })

  it('restore leaves the visitor signed out when the refresh cookie is missing', async () => {
    installFakeFetch(() => apiError(401, 'invalid_refresh_token', 'Invalid refresh token'))
    const auth = useAuthStore()

    await auth.restore()

    expect(auth.isAuthenticated).toBe(false)
    expect(getAccessToken()).toBeNull()
  })

  it('follows a refresh done by the request client after a 401', async () => {
    const renewed = makeSession('t-new', makeUser({ display_name: 'Renewed' }))
    installFakeFetch((call) => {
      if (call.url === '/api/auth/login') return json(200, makeSession('t-old'))
      if (call.url === '/api/auth/refresh') return json(200, renewed)
      return call.headers.Authorization === 'Bearer t-new' ? json(200, {}) : apiError(401, 'token_expired', 'Expired')
    })
    const auth = useAuthStore()
    await auth.login({ email: 'ada@example.com', password: 'secret-123' })

    await http.get('/api/anything')

    expect(auth.token).toBe('t-new')
    expect(auth.user?.display_name).toBe('Renewed')
  })

  it('updateProfile replaces the user with the server answer', async () => {
    const calls = installFakeFetch((call) =>
      call.url === '/api/auth/login' ? json(200, makeSession()) : json(200, makeUser({ display_name: 'Countess' })),
    )
    const auth = useAuthStore()
    await auth.login({ email: 'ada@example.com', password: 'secret-123' })

    await auth.updateProfile({ display_name: 'Countess' })

    expect(calls[1]).toMatchObject({ method: 'PATCH', url: '/api/auth/me', body: { display_name: 'Countess' } })
    expect(auth.user?.display_name).toBe('Countess')
  })
})
