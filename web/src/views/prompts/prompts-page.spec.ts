import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus, { ElMessageBox } from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { installFakeFetch, json, noContent } from '@/test/fake-fetch'
import { makePromptTemplate } from '@/test/fixtures'
import PromptsPage from './index.vue'
import { SEARCH_DELAY_MS } from './use-prompt-library'

const mine = makePromptTemplate({ id: 7, name: 'Translator' })
const shared = makePromptTemplate({ id: 8, name: 'House style', shared: true, editable: false, category: null, tags: [] })

async function mountPage() {
  const calls = installFakeFetch((call) => {
    if (call.url === '/api/prompts/categories') return json(200, ['writing'])
    if (call.url === '/api/prompts/tags') return json(200, ['i18n'])
    if (call.method === 'DELETE') return noContent()
    return json(200, { items: [mine, shared], total: 2, page: 1, page_size: 20 })
  })
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/prompts', name: 'prompts', component: PromptsPage },
      { path: '/prompts/:id(new|\\d+)', name: 'prompt-editor', component: { render: () => h('div', 'editor') } },
    ],
  })
  await router.push('/prompts')
  const Root = defineComponent({ render: () => h(RouterView) })
  const wrapper = mount(Root, { attachTo: document.body, global: { plugins: [createPinia(), router, i18n, ElementPlus] } })
  await flushPromises()
  return { wrapper, calls, router }
}

const listCalls = (calls: { method: string; url: string }[]) =>
  calls.filter((c) => c.method === 'GET' && c.url.startsWith('/api/prompts?')).map((c) => c.url)

beforeEach(() => {
  setAccessToken('token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('prompts page', () => {
  it('shows each template with its badges; read-only ones can be opened and copied, not deleted', async () => {
    const { wrapper } = await mountPage()
    const card = wrapper.get('[data-testid="prompt-Translator"]')
    expect(card.text()).toContain('Translate text')
    expect(card.text()).toContain('writing')
    expect(card.text()).toContain('#i18n')
    expect(card.get('[data-testid="prompt-version"]').text()).toBe('v2')
    expect(card.find('[data-testid="prompt-delete"]').exists()).toBe(true)
    const house = wrapper.get('[data-testid="prompt-House style"]')
    expect(house.get('[data-testid="prompt-shared"]').text()).toBe('Shared')
    expect(house.get('[data-testid="prompt-edit"]').text()).toBe('Open')
    expect(house.find('[data-testid="prompt-delete"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('searches after a pause, filters by scope and opens the editor', async () => {
    const { wrapper, calls, router } = await mountPage()
    expect(listCalls(calls)).toEqual(['/api/prompts?scope=all&page=1&page_size=20'])

    const input = wrapper.get('[data-testid="prompts-search"] input')
    await input.setValue('trans')
    await input.setValue('translate')
    await new Promise((resolve) => setTimeout(resolve, SEARCH_DELAY_MS + 50))
    await flushPromises()
    expect(listCalls(calls).slice(1)).toEqual(['/api/prompts?q=translate&scope=all&page=1&page_size=20'])

    await wrapper.get('[data-testid="prompts-scope-mine"]').trigger('click')
    await flushPromises()
    expect(listCalls(calls).at(-1)).toBe('/api/prompts?q=translate&scope=mine&page=1&page_size=20')

    await wrapper.get('[data-testid="prompt-Translator"] [data-testid="prompt-edit"]').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/prompts/7')
    wrapper.unmount()
  })

  it('deletes a template after confirming and reloads the list', async () => {
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { wrapper, calls } = await mountPage()
    await wrapper.get('[data-testid="prompt-Translator"] [data-testid="prompt-delete"]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledOnce()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/prompts/7'])
    expect(listCalls(calls)).toHaveLength(2)
    wrapper.unmount()
  })
})
