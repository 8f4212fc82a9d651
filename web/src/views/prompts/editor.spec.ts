import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { setAccessToken } from '@/api/http'
import type { PromptDiff, PromptTemplateRead } from '@/api/types'
import { i18n } from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { apiError, installFakeFetch, json, type FakeCall } from '@/test/fake-fetch'
import { makePromptTemplate, makePromptVersion, makeUser } from '@/test/fixtures'
import Editor from './editor.vue'
import { PREVIEW_DELAY_MS } from './use-prompt-preview'

type Override = (call: FakeCall) => Response | undefined

const stored = makePromptTemplate({ id: 7, current_version: 2 })
const diff: PromptDiff = {
  from_version: 1,
  to_version: 2,
  fields: { tags: [[], ['i18n']] },
  body_changed: true,
  body_diff: '',
  lines: [
    { op: 'delete', text: 'Translate {{text}}.', old_line: 1, new_line: null },
    { op: 'insert', text: 'Translate {{text}} into {{language}}.', old_line: null, new_line: 1 },
  ],
}

async function mountEditor(path: string, extra: Override = () => undefined, admin = false) {
  const calls = installFakeFetch((call) => {
    const answer = extra(call)
    if (answer) return answer
    if (call.url === '/api/prompts/categories') return json(200, ['writing'])
    if (call.url === '/api/prompts/tags') return json(200, ['i18n'])
    if (call.url === '/api/prompts/preview') {
      const body = call.body as { body: string; values: Record<string, string> }
      if (body.body.includes('{{who}}') && !body.values.who) {
        return apiError(422, 'missing_variable', 'A value is required for: who.', { variables: ['who'] })
      }
      return json(200, { text: body.body.replace('{{who}}', body.values.who ?? '') })
    }
    if (call.url === '/api/prompts/7' && call.method === 'GET') return json(200, stored)
    if (call.url.startsWith('/api/prompts/7/versions?')) {
      return json(200, { items: [makePromptVersion({ version: 2 }), makePromptVersion({ version: 1, tags: [] })], total: 2, page: 1, page_size: 50 })
    }
    if (call.url.startsWith('/api/prompts/7/diff')) return json(200, diff)
    return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
  })
  const pinia = createPinia()
  setActivePinia(pinia)
  useAuthStore().user = makeUser({ id: 1, role: admin ? 'admin' : 'user' })
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/prompts', name: 'prompts', component: { render: () => h('div', 'library') } },
      { path: '/prompts/:id(new|\\d+)', name: 'prompt-editor', component: Editor },
    ],
  })
  await router.push(path)
  const Root = defineComponent({ render: () => h(RouterView) })
  const wrapper = mount(Root, { attachTo: document.body, global: { plugins: [pinia, router, i18n, ElementPlus] } })
  await flushPromises()
  return { wrapper, calls, router }
}

const byTestId = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

async function type(testid: string, value: string, selector = 'input'): Promise<void> {
  const input = byTestId(testid)!.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector)!
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

async function click(testid: string): Promise<void> {
  byTestId(testid)!.click()
  await flushPromises()
}

const waitForPreview = () => new Promise((resolve) => setTimeout(resolve, PREVIEW_DELAY_MS + 50)).then(flushPromises)

beforeEach(() => {
  setAccessToken('token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('prompt editor', () => {
  it('creates a template: detects variables, previews with sample values and opens the saved one', async () => {
    const created: PromptTemplateRead = makePromptTemplate({
      id: 9,
      name: 'Greeter',
      body: 'Hello {{who}}',
      current_version: 1,
      variables: [{ name: 'who', description: '', default: null, required: true }],
    })
    const { wrapper, calls, router } = await mountEditor('/prompts/new', (call) =>
      call.method === 'POST' && call.url === '/api/prompts' ? json(201, created) : undefined,
    )

    await type('prompt-form-name', 'Greeter')
    await type('prompt-form-body', 'Hello {{who}} and {{ 9bad }}', 'textarea')
    expect(byTestId('prompt-undeclared')?.textContent).toContain('who')
    await click('prompt-detect-variables')
    expect(byTestId('prompt-undeclared')).toBeNull()
    expect(byTestId('prompt-variable-who')).not.toBeNull()

    await waitForPreview()
    expect(byTestId('prompt-preview-error')?.textContent).toContain('A value is required for: who.')
    await type('prompt-preview-value-who', 'Ada')
    await waitForPreview()
    expect(byTestId('prompt-preview-error')).toBeNull()
    expect(byTestId('prompt-preview-text')?.textContent).toBe('Hello Ada and {{ 9bad }}')

    await type('prompt-form-body', 'Hello {{who}}', 'textarea')
    await click('prompt-form-save')
    const post = calls.find((c) => c.method === 'POST' && c.url === '/api/prompts')
    expect(post?.body).toEqual({
      name: 'Greeter',
      description: '',
      category: null,
      tags: [],
      body: 'Hello {{who}}',
      variables: [{ name: 'who', description: '', default: null, required: true }],
      shared: false,
    })
    expect(router.currentRoute.value.params.id).toBe('9')
    expect(byTestId('prompt-current-version')?.textContent).toContain('v1')
    expect(byTestId('prompt-unsaved')).toBeNull()
    expect(byTestId('prompt-form-shared')).toBeNull()
    wrapper.unmount()
  })

  it('refuses to save undeclared variables and shows the problem under the variables', async () => {
    const { wrapper, calls } = await mountEditor('/prompts/new')
    await type('prompt-form-name', 'x')
    await type('prompt-form-body', 'Hi {{who}}', 'textarea')
    await click('prompt-form-save')
    expect(byTestId('prompt-form-variables-error')?.textContent).toContain('who')
    expect(calls.some((c) => c.method === 'POST' && c.url === '/api/prompts')).toBe(false)
    wrapper.unmount()
  })

  it('saves only the changed fields with base_version and shows a version conflict inline', async () => {
    const { wrapper, calls } = await mountEditor('/prompts/7', (call) =>
      call.method === 'PATCH'
        ? apiError(409, 'version_conflict', 'The template changed.', { current_version: 3 })
        : undefined,
    )
    expect(byTestId('prompt-form-name')!.querySelector('input')!.value).toBe('Translator')
    await type('prompt-form-body', 'Translate {{text}} to {{language}}.', 'textarea')
    expect(byTestId('prompt-unsaved')).not.toBeNull()
    await click('prompt-form-save')

    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({
      url: '/api/prompts/7',
      body: { body: 'Translate {{text}} to {{language}}.', base_version: 2 },
    })
    expect(byTestId('prompt-conflict')?.textContent).toContain('version 3')
    expect(byTestId('prompt-conflict-reload')).not.toBeNull()
    wrapper.unmount()
  })

  it('shows the sharing refusal next to the shared switch', async () => {
    const { wrapper, calls } = await mountEditor(
      '/prompts/7',
      (call) =>
        call.method === 'PATCH'
          ? apiError(403, 'sharing_requires_admin', 'Only admins can share a template with everyone.')
          : undefined,
      true,
    )
    await click('prompt-form-shared')
    await click('prompt-form-save')
    // Element Plus shows a form item's error after a short debounce.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ shared: true, base_version: 2 })
    expect(document.body.querySelector('.el-form-item__error')?.textContent).toContain('Only admins can share a template with everyone.')
    wrapper.unmount()
  })

  it('lists the versions and shows the diff coloured by op', async () => {
    const { wrapper, calls } = await mountEditor('/prompts/7')
    await click('prompt-tab-history')
    await flushPromises()

    expect(byTestId('prompt-version-2')).not.toBeNull()
    expect(byTestId('prompt-version-1')?.querySelector('[data-testid="prompt-restore"]')).not.toBeNull()
    expect(byTestId('prompt-version-2')?.querySelector('[data-testid="prompt-restore"]')).toBeNull()
    expect(calls.some((c) => c.url === '/api/prompts/7/diff?from_version=1&to_version=2')).toBe(true)

    const rendered = document.body.querySelectorAll('[data-testid="prompt-diff"] [data-testid="prompt-diff-line"]')
    expect(Array.from(rendered, (row) => row.className)).toEqual(['diff-line diff-line--delete', 'diff-line diff-line--insert'])
    expect(byTestId('prompt-diff-field-tags')?.textContent).toContain('i18n')
    wrapper.unmount()
  })
})
