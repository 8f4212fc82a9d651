import { ElMessage } from 'element-plus'
import { i18n } from '@/i18n'
import type { TokenResponse } from './types'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details: unknown = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export type QueryValue = string | number | boolean | null | undefined

export interface RequestOptions {
  body?: unknown
  query?: Record<string, QueryValue>
  /** Show the error message as a toast (default true). Forms that show errors inline pass false. */
  toast?: boolean
}

export interface SessionHooks {
  /** A refresh replaced the session, or ended it (null). */
  onSession: (session: TokenResponse | null) => void
  /** A request lost its session and could not renew it. */
  onAuthLost: () => void
}

const REFRESH_PATH = '/api/auth/refresh'
const NO_RETRY_PATHS = new Set(['/api/auth/login', REFRESH_PATH])

let accessToken: string | null = null
let refreshInFlight: Promise<TokenResponse | null> | null = null
let hooks: SessionHooks = { onSession: () => {}, onAuthLost: () => {} }

export function setAccessToken(token: string | null): void {
  accessToken = token
}

export function getAccessToken(): string | null {
  return accessToken
}

export function setSessionHooks(next: Partial<SessionHooks>): void {
  hooks = { ...hooks, ...next }
}

function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.append(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

async function send(method: string, url: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  try {
    return await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (err) {
    throw new ApiError(0, 'network_error', i18n.global.t('errors.network'), String(err))
  }
}

export async function toApiError(res: Response): Promise<ApiError> {
  try {
    const data = (await res.json()) as Partial<{ code: string; message: string; details: unknown }>
    if (typeof data.code === 'string' && typeof data.message === 'string') {
      return new ApiError(res.status, data.code, data.message, data.details ?? null)
    }
  } catch {
    // Not a JSON error body (e.g. a proxy page); fall through to a generic error.
  }
  return new ApiError(res.status, 'http_error', i18n.global.t('errors.http', { status: res.status }))
}

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

/**
 * Renew the session with the HttpOnly refresh cookie. Single-flight: concurrent callers
 * share one POST /api/auth/refresh. Resolves to null (and clears the session) on failure.
 */
export function refreshSession(): Promise<TokenResponse | null> {
  refreshInFlight ??= (async () => {
    try {
      const res = await send('POST', REFRESH_PATH, undefined)
      const session = res.ok ? await parse<TokenResponse>(res) : null
      setAccessToken(session?.access_token ?? null)
      hooks.onSession(session)
      return session
    } catch {
      setAccessToken(null)
      hooks.onSession(null)
      return null
    } finally {
      refreshInFlight = null
    }
  })()
  return refreshInFlight
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = buildUrl(path, options.query)
  let toast = options.toast ?? true
  try {
    let res = await send(method, url, options.body)
    if (res.status === 401 && !NO_RETRY_PATHS.has(path)) {
      const session = await refreshSession()
      if (!session) {
        // The user is sent to the login page; a toast per failed request would only add noise.
        toast = false
        hooks.onAuthLost()
        throw await toApiError(res)
      }
      res = await send(method, url, options.body)
    }
    if (!res.ok) throw await toApiError(res)
    return await parse<T>(res)
  } catch (err) {
    const error = err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err))
    if (toast) ElMessage.error(error.message)
    throw error
  }
}

/**
 * `fetch` with the session's bearer token, for what the JSON client cannot carry (event
 * streams, file downloads). A 401 renews the session once (the same single-flight refresh)
 * and repeats the request; when the session cannot be renewed the user is signed out and the
 * 401 response is returned. Network failures become an `ApiError` (`network_error`).
 */
export async function authorizedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const attempt = async () => {
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value
    })
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`
    try {
      return await fetch(input, { ...init, headers, credentials: 'same-origin' })
    } catch (err) {
      if (init.signal?.aborted) throw err
      throw new ApiError(0, 'network_error', i18n.global.t('errors.network'), String(err))
    }
  }
  let res = await attempt()
  if (res.status === 401) {
    const session = await refreshSession()
    if (!session) {
      hooks.onAuthLost()
      return res
    }
    res = await attempt()
  }
  return res
}

export const http = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PATCH', path, { ...options, body }),
  delete: <T = void>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
}
