import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { makePromptTemplate } from '@/test/fixtures'
import { useTemplatePicker } from './use-template-picker'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn(), warning: vi.fn() } }))

const template = makePromptTemplate({
  id: 7,
  body: 'Translate {{text}} into {{language}}.',
  variables: [
    { name: 'text', description: 'What to translate', default: null, required: true },
    { name: 'language', description: '', default: 'French', required: false },
  ],
})

function page(items = [template]) {
  return { items, total: items.length, page: 1, page_size: 50 }
}

async function mountPicker(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useTemplatePicker>
  mount(
    defineComponent({
      setup() {
        state = useTemplatePicker()
        return () => null
      },
    }),
  )
  await state.search()
  return { state, calls }
}

beforeEach(() => setAccessToken('token-1'))
afterEach(() => setAccessToken(null))

describe('useTemplatePicker', () => {
  it('lists templates and fills the form with the defaults of the picked one', async () => {
    const { state, calls } = await mountPicker(() => json(200, page()))
    expect(calls[0]!.url).toBe('/api/prompts?page_size=50')
    expect(state.templates.value).toEqual([template])
    state.pick(template)
    expect(state.values.value).toEqual({ text: '', language: 'French' })
  })

  it('searches with the query after a pause', async () => {
    vi.useFakeTimers()
    try {
      const { state, calls } = await mountPicker(() => json(200, page([])))
      state.query.value = 'trans late'
      await vi.advanceTimersByTimeAsync(400)
      expect(calls.at(-1)!.url).toBe('/api/prompts?q=trans+late&page_size=50')
    } finally {
      vi.useRealTimers()
    }
  })

  it('renders through the server with the form values', async () => {
    const { state, calls } = await mountPicker((call) =>
      call.url.endsWith('/render') ? json(200, { text: 'Translate Hallo into German.' }) : json(200, page()),
    )
    state.pick(template)
    state.values.value.text = 'Hallo'
    state.values.value.language = 'German'
    await expect(state.render()).resolves.toBe('Translate Hallo into German.')
    const render = calls.at(-1)!
    expect(render.method).toBe('POST')
    expect(render.url).toBe('/api/prompts/7/render')
    expect(render.body).toEqual({ values: { text: 'Hallo', language: 'German' } })
    expect(state.error.value).toBeNull()
  })

  it('shows a missing variable inline, naming it', async () => {
    const { state } = await mountPicker((call) =>
      call.url.endsWith('/render')
        ? apiError(422, 'missing_variable', 'A value is required for: text.', { variables: ['text'] })
        : json(200, page()),
    )
    state.pick(template)
    await expect(state.render()).resolves.toBeNull()
    await flushPromises()
    expect(state.error.value).toBe('A value is required for: text.')
    expect(state.invalid.value).toEqual(['text'])

    // Picking again clears the error.
    state.pick(template)
    expect(state.error.value).toBeNull()
    expect(state.invalid.value).toEqual([])
  })
})
