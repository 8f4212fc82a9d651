import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, reactive } from 'vue'
import { ElMessage } from 'element-plus'
import { setAccessToken } from '@/api/http'
import type { PreviewRequest } from '@/api/types'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { PREVIEW_DELAY_MS, usePromptPreview } from './use-prompt-preview'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

const variables = [{ name: 'text', description: '', default: null, required: true }]

function mountPreview(handler: FakeHandler, initial: PreviewRequest) {
  const calls = installFakeFetch(handler)
  const request = reactive<PreviewRequest>(initial)
  let state!: ReturnType<typeof usePromptPreview>
  const Host = defineComponent({
    setup() {
      state = usePromptPreview(() => ({ body: request.body, variables: request.variables, values: { ...request.values } }))
      return () => null
    },
  })
  const wrapper = mount(Host, { global: { plugins: [i18n] } })
  return { calls, request, state, wrapper }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  setAccessToken('token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  vi.useRealTimers()
  i18n.global.locale.value = 'zh-CN'
})

describe('usePromptPreview', () => {
  it('renders once, a while after the last change, with the latest content', async () => {
    const { calls, request, state } = mountPreview(
      (call) => json(200, { text: `rendered ${(call.body as PreviewRequest).values.text}` }),
      { body: 'Say {{text}}', variables, values: { text: 'h' } },
    )
    vi.advanceTimersByTime(PREVIEW_DELAY_MS - 50)
    request.values = { text: 'hi' }
    await flushPromises()
    vi.advanceTimersByTime(PREVIEW_DELAY_MS - 1)
    expect(calls).toHaveLength(0)
    expect(state.loading.value).toBe(true)

    vi.advanceTimersByTime(1)
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/prompts/preview' })
    expect(calls[0].body).toEqual({ body: 'Say {{text}}', variables, values: { text: 'hi' } })
    expect(state.text.value).toBe('rendered hi')
    expect(state.error.value).toBeNull()
    expect(state.loading.value).toBe(false)
  })

  it('shows a missing variable as an error naming it, without a toast, and clears it once fixed', async () => {
    const { request, state } = mountPreview(
      (call) =>
        (call.body as PreviewRequest).values.text
          ? json(200, { text: 'ok' })
          : apiError(422, 'missing_variable', 'A value is required for: text.', { variables: ['text'] }),
      { body: 'Say {{text}}', variables, values: {} },
    )
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    await flushPromises()
    expect(state.error.value).toEqual({
      code: 'missing_variable',
      message: 'A value is required for: text.',
      variables: ['text'],
    })
    expect(ElMessage.error).not.toHaveBeenCalled()

    request.values = { text: 'x' }
    await flushPromises()
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    await flushPromises()
    expect(state.error.value).toBeNull()
    expect(state.text.value).toBe('ok')
  })

  it('maps every template problem to a message in the current language', async () => {
    i18n.global.locale.value = 'zh-CN'
    const { state } = mountPreview(
      () => apiError(422, 'undeclared_variable', 'The body uses undeclared variables: who.', { variables: ['who'] }),
      { body: 'Hi {{who}}', variables: [], values: {} },
    )
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    await flushPromises()
    expect(state.error.value?.code).toBe('undeclared_variable')
    expect(state.error.value?.message).toContain('who')
    expect(state.error.value?.message).toContain('未声明')
  })

  it('drops an answer that arrives after a newer request started', async () => {
    const resolvers: ((response: Response) => void)[] = []
    const { request, state } = mountPreview(
      () => new Promise<Response>((resolve) => resolvers.push(resolve)),
      { body: 'first', variables: [], values: {} },
    )
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    await flushPromises()
    request.body = 'second'
    await flushPromises()
    vi.advanceTimersByTime(PREVIEW_DELAY_MS)
    await flushPromises()
    expect(resolvers).toHaveLength(2)

    resolvers[1](json(200, { text: 'second' }))
    await flushPromises()
    resolvers[0](json(200, { text: 'first' }))
    await flushPromises()
    expect(state.text.value).toBe('second')
  })

  it('does not call the server for an empty body', async () => {
    const { calls, state } = mountPreview(() => json(200, { text: 'x' }), { body: '', variables: [], values: {} })
    vi.advanceTimersByTime(PREVIEW_DELAY_MS * 2)
    await flushPromises()
    expect(calls).toHaveLength(0)
    expect(state.text.value).toBe('')
    expect(state.loading.value).toBe(false)
  })
})
