import { vi } from 'vitest'

export interface FakeCall {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
  credentials: RequestCredentials | undefined
}

export type FakeHandler = (call: FakeCall) => Response | Promise<Response>

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

export function noContent(): Response {
  return new Response(null, { status: 204 })
}

export function apiError(status: number, code: string, message: string, details: unknown = null): Response {
  return json(status, { code, message, details })
}

/** Replace global fetch with a handler and record every call it gets. */
export function installFakeFetch(handler: FakeHandler): FakeCall[] {
  const calls: FakeCall[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const call: FakeCall = {
        method: init.method ?? 'GET',
        url: String(input),
        headers: { ...(init.headers as Record<string, string>) },
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        credentials: init.credentials,
      }
      calls.push(call)
      return handler(call)
    }),
  )
  return calls
}
