import { afterEach, describe, expect, it, vi } from 'vitest'
import { installFakeFetch, apiError, json } from '@/test/fake-fetch'
import { ApiError, setAccessToken, setSessionHooks } from './http'
import { parseStreamEvent, streamChat, streamPath } from './chat'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn() } }))

afterEach(() => {
  setAccessToken(null)
  setSessionHooks({ onSession: () => {}, onAuthLost: () => {} })
})

describe('chat stream client', () => {
  it('maps each kind of turn to its endpoint', () => {
    expect(streamPath({ kind: 'send', sessionId: 3, body: { content: 'x' } })).toBe('/api/chat/sessions/3/messages')
    expect(streamPath({ kind: 'regenerate', messageId: 5, body: {} })).toBe('/api/chat/messages/5/regenerate')
    expect(streamPath({ kind: 'edit', messageId: 6, body: { content: 'y' } })).toBe('/api/chat/messages/6/edit')
  })

  it('ignores keep-alive comments and unknown events', () => {
    expect(parseStreamEvent({ id: '', event: '', data: '' })).toBeNull()
    expect(parseStreamEvent({ id: '', event: 'ping', data: '{}' })).toBeNull()
    expect(parseStreamEvent({ id: '', event: 'content', data: '{"text":"a"}' })).toEqual({
      event: 'content',
      data: { text: 'a' },
    })
  })

  it('signs the user out when a 401 cannot be renewed, without retrying the POST', async () => {
    setAccessToken('stale')
    const onAuthLost = vi.fn()
    setSessionHooks({ onAuthLost })
    const calls = installFakeFetch((call) =>
      call.url === '/api/auth/refresh'
        ? apiError(401, 'invalid_refresh_token', 'Sign in again.')
        : apiError(401, 'token_expired', 'Your session has expired.'),
    )
    const error = await streamChat({ kind: 'send', sessionId: 1, body: { content: 'hi' } }, () => {}, new AbortController().signal).catch(
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(401)
    expect(onAuthLost).toHaveBeenCalledOnce()
    expect(calls.map((c) => c.url)).toEqual(['/api/chat/sessions/1/messages', '/api/auth/refresh'])
  })

  it('refuses an answer that is not an event stream', async () => {
    installFakeFetch(() => json(200, { ok: true }))
    await expect(
      streamChat({ kind: 'send', sessionId: 1, body: { content: 'hi' } }, () => {}, new AbortController().signal),
    ).rejects.toMatchObject({ code: 'not_a_stream' })
  })
})
