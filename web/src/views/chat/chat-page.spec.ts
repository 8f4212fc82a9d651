import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setAccessToken } from '@/api/http'
import type { ModelRead } from '@/api/types'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeCall } from '@/test/fake-fetch'
import { makeChatSession, makeMessage } from '@/test/fixtures'
import ChatPage from './index.vue'

const model: ModelRead = {
  id: 10,
  provider_id: 1,
  provider_name: 'local',
  model_id: 'gpt-test',
  display_name: 'GPT Test',
  capabilities: ['chat'],
  context_length: 4096,
  input_price_per_mtok: null,
  output_price_per_mtok: null,
  parameters: { temperature: 0.7 },
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

const CODE = 'print("hi")\n'
const ANSWER = `Here:\n\n\`\`\`python\n${CODE}\`\`\`\n\n<img src=x onerror=alert(1)>`

function streamOf(...events: string[]): Response {
  return new Response(events.join(''), { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
}

async function mountPage(models: ModelRead[], extra?: (call: FakeCall) => Response | undefined) {
  const user = makeMessage({ id: 3, content: 'Show code', variant_ids: [3] })
  const answer = makeMessage({
    id: 4,
    parent_id: 3,
    role: 'assistant',
    content: ANSWER,
    model_name: 'GPT Test',
    provider_name: 'local',
    input_tokens: 5,
    output_tokens: 20,
    tokens_estimated: true,
    latency_ms: 1500,
    ttft_ms: 120,
    variant_ids: [4],
  })
  const calls = installFakeFetch((call) => {
    const response = extra?.(call)
    if (response) return response
    if (call.url === '/api/models') return json(200, models)
    if (call.url === '/api/chat/sessions' && call.method === 'GET') return json(200, [])
    if (call.url === '/api/chat/sessions' && call.method === 'POST') {
      const read: Partial<ReturnType<typeof makeChatSession>> = makeChatSession({ id: 7, title: '', model_id: 10 })
      delete read.messages
      return json(201, read)
    }
    if (call.url === '/api/chat/sessions/7/messages') {
      return streamOf(
        sse('message', { user_message: user, assistant_message_id: 4 }),
        sse('content', { text: ANSWER }),
        sse('done', { message: answer }),
      )
    }
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  })
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/chat/:id(\\d+)?', name: 'chat', component: ChatPage },
      { path: '/admin/providers', component: { template: '<div />' } },
    ],
  })
  await router.push('/chat')
  await router.isReady()
  const wrapper = mount(ChatPage, {
    attachTo: document.body,
    global: { plugins: [createPinia(), i18n, ElementPlus, router] },
  })
  await flushPromises()
  return { wrapper, calls, router }
}

const byTestId = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

beforeEach(() => {
  setAccessToken('token-1')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
  localStorage.clear()
})

describe('chat page', () => {
  it('tells the user an admin must enable a model when none is available', async () => {
    const { wrapper } = await mountPage([])
    expect(byTestId('page-chat')).not.toBeNull()
    expect(byTestId('chat-no-models')?.textContent).toContain('administrator')
    expect(byTestId('chat-input')).toBeNull()
    wrapper.unmount()
  })

  it('sends on Enter (not Shift+Enter), creates the chat, streams and renders the answer safely', async () => {
    const { wrapper, calls, router } = await mountPage([model])
    const textarea = wrapper.get('[data-testid="chat-input"] textarea')

    await textarea.setValue('Show code')
    await textarea.trigger('keydown', { key: 'Enter', shiftKey: true })
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    await textarea.trigger('keydown', { key: 'Enter' })
    await settle()

    const posts = calls.filter((c) => c.method === 'POST')
    expect(posts.map((c) => c.url)).toEqual(['/api/chat/sessions', '/api/chat/sessions/7/messages'])
    expect(posts[0]!.body).toMatchObject({ model_id: 10 })
    expect(posts[1]!.body).toEqual({ content: 'Show code', parent_id: null })
    expect(router.currentRoute.value.fullPath).toBe('/chat/7')
    expect((textarea.element as HTMLTextAreaElement).value).toBe('')

    const user = byTestId('chat-message-user')!
    expect(user.dataset.status).toBe('complete')
    const assistant = byTestId('chat-message-assistant')!
    expect(assistant.dataset.status).toBe('complete')
    const content = assistant.querySelector('[data-testid="chat-content"]')!
    expect(content.querySelector('pre code')?.textContent).toBe(CODE)
    expect(content.querySelector('img')).toBeNull()
    expect(content.querySelector('[onerror]')).toBeNull()
    expect(content.textContent).toContain('<img src=x onerror=alert(1)>')
    expect(assistant.querySelector('[data-testid="message-meta"]')?.textContent).toContain('~5 / ~20')

    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    assistant.querySelector<HTMLElement>('[data-testid="code-copy"]')!.click()
    await settle()
    expect(writeText).toHaveBeenCalledWith(CODE)
    wrapper.unmount()
  })

  it('shows the refusal and gives the text back when the server will not answer', async () => {
    const { wrapper } = await mountPage([model], (call) =>
      call.url === '/api/chat/sessions/7/messages'
        ? apiError(422, 'context_too_long', 'The message does not fit the model context.')
        : undefined,
    )
    const textarea = wrapper.get('[data-testid="chat-input"] textarea')
    await textarea.setValue('Too long')
    await wrapper.get('[data-testid="chat-send"]').trigger('click')
    await settle()
    expect((textarea.element as HTMLTextAreaElement).value).toBe('Too long')
    expect(byTestId('chat-message-user')).toBeNull()
    expect(document.body.textContent).toContain('The message does not fit the model context.')
    wrapper.unmount()
  })
})
