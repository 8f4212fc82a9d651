import { ElMessage } from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makeSession } from '@/test/fixtures'
import { ApiError, getAccessToken, http, setAccessToken, setSessionHooks } from './http'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

const hooks = { onSession: vi.fn(), onAuthLost: vi.fn() }

beforeEach(() => {
  vi.mocked(ElMessage.error).mockClear()
  hooks.onSession = vi.fn()
  hooks.onAuthLost = vi.fn()
  setSessionHooks(hooks)
  setAccessToken(null)
})

describe('request basics', () => {
  it('sends the bearer token, JSON body and same-origin credentials', async () => {
    setAccessToken('abc')
    const calls = installFakeFetch(() => json(200, { ok: true }))

    await expect(http.post('/api/things', { name: 'x' })).resolves.toEqual({ ok: true })

    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: '/api/things',
      body: { name: 'x' },
      credentials: 'same-origin',
    })
    expect(calls[0].headers.Authorization).toBe('Bearer abc')
    expect(calls[0].headers['Content-Type']).toBe('application/json')
  })

  it('omits the Authorization header without a token and drops empty query values', async () => {
    const calls = installFakeFetch(() => json(200, []))

    await http.get('/api/users', { query: { q: '', role: 'admin', is_active: false, page: 2, x: undefined } })

    expect(calls[0].url).toBe('/api/users?role=admin&is_active=false&page=2')
    expect(calls[0].headers.Authorization).toBeUndefined()
  })

  it('returns undefined for 204 responses', async () => {
    installFakeFetch(() => noContent())

    await expect(http.delete('/api/users/3')).resolves.toBeUndefined()
  })
})

describe('errors', () => {
  it('throws an ApiError with the fields of the error body and shows a toast', async () => {
    installFakeFetch(() => apiError(409, 'email_taken', 'Email already registered', { field: 'email' }))

    const error = await http.post('/api/users', {}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      status: 409,
      code: 'email_taken',
      message: 'Email already registered',
      details: { field: 'email' },
    })
    expect(ElMessage.error).toHaveBeenCalledExactlyOnceWith('Email already registered')
  })

  it('lets a call opt out of the toast', async () => {
    installFakeFetch(() => apiError(429, 'too_many_attempts', 'Too many failed attempts', null))

    await expect(http.post('/api/auth/login', {}, { toast: false })).rejects.toMatchObject({
      status: 429,
      code: 'too_many_attempts',
    })
    expect(ElMessage.error).not.toHaveBeenCalled()
  })

  it('maps a non-JSON error body to a generic http_error', async () => {
    installFakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }))

    await expect(http.get('/api/things')).rejects.toMatchObject({ status: 502, code: 'http_error' })
    expect(ElMessage.error).toHaveBeenCalledOnce()
  })

  it('maps a failed fetch to a network_error', async () => {
    installFakeFetch(() => {
      throw new TypeError('Failed to fetch')
    })

    await expect(http.get('/api/things')).rejects.toMatchObject({ status: 0, code: 'network_error' })
    expect(ElMessage.error).toHaveBeenCalledOnce()
  })

  it('does not try to refresh when login itself answers 401', async () => {
    const calls = installFakeFetch(() => apiError(401, 'invalid_credentials', 'Invalid email or password'))

    await expect(http.post('/api/auth/login', {}, { toast: false })).rejects.toMatchObject({
      code: 'invalid_credentials',
    })
    expect(calls.map((c) => c.url)).toEqual(['/api/auth/login'])
  })
})

describe('refresh on 401', () => {
  it('sends exactly one refresh for concurrent 401s and retries every request once', async () => {
    setAccessToken('expired')
    let releaseRefresh!: () => void
    const refreshGate = new Promise<void>((resolve) => (releaseRefresh = resolve))
    const session = makeSession('fresh')
    const calls = installFakeFetch(async (call) => {
      if (call.url === '/api/auth/refresh') {
        await refreshGate
        return json(200, session)
      }
      return call.headers.Authorization === 'Bearer fresh'
        ? json(200, { url: call.url })
        : apiError(401, 'token_expired', 'Token expired')
    })

    const pending = Promise.all([http.get('/api/a'), http.get('/api/b'), http.get('/api/c')])
    await vi.waitFor(() => expect(calls.filter((c) => c.url === '/api/auth/refresh')).toHaveLength(1))
    releaseRefresh()

    await expect(pending).resolves.toEqual([{ url: '/api/a' }, { url: '/api/b' }, { url: '/api/c' }])
    expect(calls.filter((c) => c.url === '/api/auth/refresh')).toHaveLength(1)
    expect(calls.filter((c) => c.url !== '/api/auth/refresh')).toHaveLength(6)
    expect(getAccessToken()).toBe('fresh')
    expect(hooks.onSession).toHaveBeenCalledExactlyOnceWith(session)
    expect(ElMessage.error).not.toHaveBeenCalled()
  })

  it('clears the session and reports it lost when the refresh fails', async () => {
    setAccessToken('expired')
    const calls = installFakeFetch((call) =>
      call.url === '/api/auth/refresh'
        ? apiError(401, 'invalid_refresh_token', 'Invalid refresh token')
        : apiError(401, 'token_expired', 'Token expired'),
    )

    const results = await Promise.allSettled([http.get('/api/a'), http.get('/api/b')])

    expect(results.every((r) => r.status === 'rejected' && (r.reason as ApiError).status === 401)).toBe(true)
    expect(calls.filter((c) => c.url === '/api/auth/refresh')).toHaveLength(1)
    expect(getAccessToken()).toBeNull()
    expect(hooks.onSession).toHaveBeenCalledExactlyOnceWith(null)
    expect(hooks.onAuthLost).toHaveBeenCalled()
    expect(ElMessage.error).not.toHaveBeenCalled()
  })

  it('refreshes again for a later 401 once the first refresh has settled', async () => {
    setAccessToken('expired')
    let refreshes = 0
    installFakeFetch((call) => {
      if (call.url === '/api/auth/refresh') return json(200, makeSession(`fresh-${++refreshes}`))
      return call.headers.Authorization === `Bearer fresh-${refreshes}` && refreshes > 0
        ? json(200, {})
        : apiError(401, 'token_expired', 'Token expired')
    })

    await http.get('/api/a')
    setAccessToken('expired-again')
    await http.get('/api/b')

    expect(refreshes).toBe(2)
  })
})
