import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'
import { ApiError, getAccessToken, setAccessToken } from '@/api/http'
import type { ChatMessageRead, ChatSessionDetail } from '@/api/types'
import { apiError, installFakeFetch, json, type FakeCall } from '@/test/fake-fetch'
import { makeChatSession, makeMessage, makeSession } from '@/test/fixtures'
import { useChatStream } from './use-chat-stream'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn(), warning: vi.fn() } }))

const encoder = new TextEncoder()

function sse(event: string, data: unknown): string {
  return `event: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`
}

/** A response body the test feeds by hand, in byte chunks cut anywhere (even inside a character). */
function controllableBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
    },
  })
  return {
    body,
    /** Send `text` cut into pieces of `size` bytes. */
    push(text: string, size = 7) {
      const bytes = encoder.encode(text)
      for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size))
    },
    close: () => controller.close(),
    fail: (err: unknown) => controller.error(err),
  }
}

function streamResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } })
}

/** Let the stream reader and Vue catch up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

const question = makeMessage({ id: 1, role: 'user', content: 'Hi', variant_ids: [1] })
const firstAnswer = makeMessage({ id: 2, parent_id: 1, role: 'assistant', content: 'Hello!', variant_ids: [2] })

function setup(initial: ChatMessageRead[] = [question, firstAnswer]) {
  const messages = ref<ChatMessageRead[]>([...initial])
  const stored = { detail: makeChatSession({ messages: initial }) as ChatSessionDetail }
  const load = vi.fn(async () => stored.detail)
  const apply = vi.fn((detail: ChatSessionDetail) => {
    messages.value = detail.messages
  })
  const onSettled = vi.fn()
  const chat = useChatStream({ messages, load, apply, onSettled, settleDelays: [0, 0, 0] })
  return { messages, load, apply, onSettled, chat, stored }
}

beforeEach(() => {
  setAccessToken('token-1')
})

afterEach(() => {
  setAccessToken(null)
})

describe('useChatStream', () => {
  it('streams an answer: ids, reasoning and content accumulate, done replaces the message', async () => {
    const feed = controllableBody()
    const calls = installFakeFetch(() => streamResponse(feed.body))
    const { messages, chat, onSettled, load } = setup()

    const turn = chat.send(7, 'Write a haiku', { modelId: 11 })
    expect(chat.streaming.value).toBe(true)
    // Drafts are on screen before the server answers.
    expect(messages.value.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Hi', 'complete'],
      ['assistant', 'Hello!', 'complete'],
      ['user', 'Write a haiku', 'complete'],
      ['assistant', '', 'streaming'],
    ])

    const user = makeMessage({ id: 3, parent_id: 2, content: 'Write a haiku', variant_ids: [3] })
    feed.push(sse('message', { user_message: user, assistant_message_id: 4 }))
    feed.push(': ping - 2025-01-01 00:00:00\r\n\r\n')
    feed.push(sse('context', { omitted_messages: 2 }))
    feed.push(sse('reasoning', { text: 'Five, seven, ' }))
    feed.push(sse('reasoning', { text: 'five…' }))
    feed.push(sse('content', { text: '古池や ' }), 5)
    feed.push(sse('content', { text: 'a **frog** jumps' }), 3)
    await settle()

    const streamingAnswer = messages.value[3]!
    expect(messages.value[2]).toEqual(user)
    expect(streamingAnswer.id).toBe(4)
    expect(streamingAnswer.parent_id).toBe(3)
    expect(streamingAnswer.status).toBe('streaming')
    expect(streamingAnswer.reasoning).toBe('Five, seven, five…')
    expect(streamingAnswer.content).toBe('古池や a **frog** jumps')
    expect(streamingAnswer.reasoning_ms).not.toBeNull()
    expect(streamingAnswer.omitted_messages).toBe(2)
    expect(chat.omitted.value).toBe(2)

    feed.push(sse('usage', { input_tokens: 12, output_tokens: 9, estimated: true }))
    await settle()
    expect(messages.value[3]!.output_tokens).toBe(9)
    expect(messages.value[3]!.tokens_estimated).toBe(true)

    const stored = makeMessage({
      id: 4,
      parent_id: 3,
      role: 'assistant',
      content: '古池や a **frog** jumps',
      reasoning: 'Five, seven, five…',
      reasoning_ms: 1200,
      input_tokens: 12,
      output_tokens: 9,
      variant_ids: [4],
    })
    feed.push(sse('done', { message: stored }), 11)
    feed.close()
    await turn

    expect(messages.value[3]).toEqual(stored)
    expect(chat.streaming.value).toBe(false)
    expect(onSettled).toHaveBeenCalledOnce()
    expect(load).not.toHaveBeenCalled()

    expect(calls).toHaveLength(1)
    expect(calls[0]!.method).toBe('POST')
    expect(calls[0]!.url).toBe('/api/chat/sessions/7/messages')
    expect(calls[0]!.headers.Authorization).toBe('Bearer token-1')
    expect(calls[0]!.headers.accept).toBe('text/event-stream')
    expect(calls[0]!.body).toEqual({ content: 'Write a haiku', parent_id: 2, model_id: 11 })
  })

  it('keeps the partial answer when the upstream fails mid-stream', async () => {
    const feed = controllableBody()
    installFakeFetch(() => streamResponse(feed.body))
    const { messages, chat } = setup()

    const turn = chat.send(7, 'Go')
    feed.push(sse('message', { user_message: makeMessage({ id: 3, parent_id: 2, content: 'Go' }), assistant_message_id: 4 }))
    feed.push(sse('content', { text: 'Partial ans' }))
    feed.push(sse('error', { code: 'upstream_server', message: 'Upstream returned 500' }))
    await settle()
    expect(messages.value[3]!.content).toBe('Partial ans')
    expect(messages.value[3]!.error).toEqual({ code: 'upstream_server', message: 'Upstream returned 500' })

    const stored = makeMessage({
      id: 4,
      parent_id: 3,
      role: 'assistant',
      content: 'Partial ans',
      status: 'error',
      error: { code: 'upstream_server', message: 'Upstream returned 500' },
      variant_ids: [4],
    })
    feed.push(sse('done', { message: stored }))
    feed.close()
    await turn
    expect(messages.value[3]).toEqual(stored)
  })

  it('marks the answer failed and reloads when the connection drops without done', async () => {
    const feed = controllableBody()
    installFakeFetch(() => streamResponse(feed.body))
    const { messages, chat, load, apply, stored } = setup()
    const saved = makeMessage({ id: 4, parent_id: 3, role: 'assistant', content: 'Half', status: 'interrupted' })
    stored.detail = makeChatSession({ messages: [question, firstAnswer, makeMessage({ id: 3, parent_id: 2 }), saved] })

    const turn = chat.send(7, 'Go')
    feed.push(sse('message', { user_message: makeMessage({ id: 3, parent_id: 2 }), assistant_message_id: 4 }))
    feed.push(sse('content', { text: 'Half' }))
    await settle()
    feed.fail(new TypeError('network error'))
    await turn

    expect(load).toHaveBeenCalled()
    expect(apply).toHaveBeenCalledWith(stored.detail)
    expect(messages.value[3]).toEqual(saved)
  })

  it('stop aborts the request and reloads until the stored answer has settled', async () => {
    const feed = controllableBody()
    let signal: AbortSignal | null = null
    installFakeFetch(() => streamResponse(feed.body))
    const original = globalThis.fetch
    vi.stubGlobal(
      'fetch',
      vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
        signal = init?.signal ?? null
        return original(input, init)
      }),
    )
    const { messages, chat, load, apply, stored } = setup()
    const user = makeMessage({ id: 3, parent_id: 2, content: 'Long story' })
    const stillStreaming = makeMessage({ id: 4, parent_id: 3, role: 'assistant', content: '', status: 'streaming' })
    const interrupted = makeMessage({
      id: 4,
      parent_id: 3,
      role: 'assistant',
      content: 'Once upon',
      status: 'interrupted',
      finish_reason: 'cancelled',
    })
    // The server saves the interrupted answer a moment after the disconnect.
    load
      .mockResolvedValueOnce(makeChatSession({ messages: [question, firstAnswer, user, stillStreaming] }))
      .mockImplementation(async () => stored.detail)
    stored.detail = makeChatSession({ messages: [question, firstAnswer, user, interrupted] })

    const turn = chat.send(7, 'Long story')
    feed.push(sse('message', { user_message: user, assistant_message_id: 4 }))
    feed.push(sse('content', { text: 'Once upon' }))
    await settle()
    expect(messages.value[3]!.content).toBe('Once upon')

    chat.stop()
    await turn

    expect(signal!.aborted).toBe(true)
    expect(load).toHaveBeenCalledTimes(2)
    expect(apply).toHaveBeenCalledOnce()
    expect(apply).toHaveBeenCalledWith(stored.detail)
    expect(messages.value[3]).toEqual(interrupted)
    expect(chat.streaming.value).toBe(false)
  })

  it('a reload after a stop never overwrites the messages of a newer answer', async () => {
    const first = controllableBody()
    const second = controllableBody()
    const bodies = [first, second]
    installFakeFetch(() => streamResponse(bodies.shift()!.body))
    const { messages, chat, load, apply } = setup()
    const user = makeMessage({ id: 3, parent_id: 2, content: 'Long story' })
    let answerStale!: (detail: ChatSessionDetail) => void
    load.mockImplementationOnce(() => new Promise<ChatSessionDetail>((resolve) => (answerStale = resolve)))

    const stopped = chat.send(7, 'Long story')
    first.push(sse('message', { user_message: user, assistant_message_id: 4 }))
    first.push(sse('content', { text: 'Once' }))
    await settle()
    chat.stop()
    await settle() // the stopped run now waits for its reload

    const answer = makeMessage({ id: 4, parent_id: 3, role: 'assistant', content: 'Once' })
    const regenerated = chat.regenerate(answer)
    second.push(sse('message', { user_message: null, assistant_message_id: 5 }))
    second.push(sse('content', { text: 'Fresh' }))
    await settle()
    answerStale(makeChatSession({ messages: [question, firstAnswer, user, { ...answer, status: 'streaming' }] }))
    await stopped

    expect(apply).not.toHaveBeenCalled()
    expect(messages.value.at(-1)!.content).toBe('Fresh')
    second.push(sse('done', { message: makeMessage({ id: 5, parent_id: 3, role: 'assistant', content: 'Fresh' }) }))
    second.close()
    await regenerated
    expect(messages.value.at(-1)!.id).toBe(5)
  })

  it('cancel aborts without reloading (leaving the session)', async () => {
    const feed = controllableBody()
    installFakeFetch(() => streamResponse(feed.body))
    const { chat, load, onSettled } = setup()

    const turn = chat.send(7, 'Go')
    feed.push(sse('message', { user_message: makeMessage({ id: 3, parent_id: 2 }), assistant_message_id: 4 }))
    await settle()
    chat.cancel()
    await turn
    expect(load).not.toHaveBeenCalled()
    expect(onSettled).toHaveBeenCalledOnce()
  })

  it('renews the session once on a 401 before the stream starts, then streams', async () => {
    const feed = controllableBody()
    let posts = 0
    const calls = installFakeFetch((call: FakeCall) => {
      if (call.url === '/api/auth/refresh') return json(200, makeSession('token-2'))
      posts += 1
      if (posts === 1) return apiError(401, 'token_expired', 'Your session has expired.')
      return streamResponse(feed.body)
    })
    const { messages, chat } = setup()

    const turn = chat.regenerate(firstAnswer, { modelId: 12 })
    // The regenerated answer and what followed it leave the screen; a draft takes its place.
    expect(messages.value.map((m) => m.id)).toEqual([1, messages.value[1]!.id])
    expect(messages.value[1]!.status).toBe('streaming')

    await settle()
    feed.push(sse('message', { user_message: null, assistant_message_id: 5 }))
    const stored = makeMessage({ id: 5, parent_id: 1, role: 'assistant', content: 'Again', variant_ids: [2, 5] })
    feed.push(sse('content', { text: 'Again' }))
    feed.push(sse('done', { message: stored }))
    feed.close()
    await turn

    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers.Authorization ?? ''}`)).toEqual([
      'POST /api/chat/messages/2/regenerate Bearer token-1',
      'POST /api/auth/refresh Bearer token-1',
      'POST /api/chat/messages/2/regenerate Bearer token-2',
    ])
    expect(calls[2]!.body).toEqual({ model_id: 12 })
    expect(getAccessToken()).toBe('token-2')
    expect(messages.value).toEqual([question, stored])
  })

  it('rejects with the API error and restores the list when the server refuses to start', async () => {
    installFakeFetch(() => apiError(422, 'context_too_long', 'The message is too long for this model.'))
    const { messages, chat, onSettled } = setup()
    const before = messages.value

    const error = await chat.send(7, 'x'.repeat(10)).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).code).toBe('context_too_long')
    expect(messages.value).toBe(before)
    expect(chat.streaming.value).toBe(false)
    expect(onSettled).not.toHaveBeenCalled()
  })

  it('edits a user message: the branch from it is replaced by the edit and its answer', async () => {
    const feed = controllableBody()
    const calls = installFakeFetch(() => streamResponse(feed.body))
    const { messages, chat } = setup()

    const turn = chat.edit(question, 'Hi there')
    expect(messages.value.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hi there'],
      ['assistant', ''],
    ])
    const edited = makeMessage({ id: 8, content: 'Hi there', variant_ids: [1, 8] })
    const answer = makeMessage({ id: 9, parent_id: 8, role: 'assistant', content: 'Hey', variant_ids: [9] })
    feed.push(sse('message', { user_message: edited, assistant_message_id: 9 }))
    feed.push(sse('content', { text: 'Hey' }))
    feed.push(sse('done', { message: answer }))
    feed.close()
    await turn

    expect(calls[0]!.url).toBe('/api/chat/messages/1/edit')
    expect(calls[0]!.body).toEqual({ content: 'Hi there' })
    expect(messages.value).toEqual([edited, answer])
  })
})
