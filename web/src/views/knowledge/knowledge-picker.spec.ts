import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { installFakeFetch, json } from '@/test/fake-fetch'
import { makeChatSession } from '@/test/fixtures'
import KnowledgePicker from './knowledge-picker.vue'
import MessageSources from './message-sources.vue'

beforeEach(() => setAccessToken('user-token'))

const page = (items: unknown[]) => ({ items, total: items.length, page: 1, page_size: 100 })

describe('KnowledgePicker', () => {
  it('saves the chosen knowledge bases into the session, creating it first', async () => {
    const session = makeChatSession({ id: 7, knowledge_base_ids: [3] })
    const calls = installFakeFetch((call) =>
      call.url.startsWith('/api/knowledge-bases') ? json(200, page([{ id: 3, name: 'Handbook' }])) : json(200, session),
    )
    const ensureSession = vi.fn(async () => 7)
    const wrapper = mount(KnowledgePicker, {
      props: { selected: [], ensureSession },
      global: { plugins: [ElementPlus, i18n] },
    })
    await flushPromises()
    expect(wrapper.find('[data-testid="chat-knowledge"]').exists()).toBe(true)
    wrapper.findComponent({ name: 'ElSelect' }).vm.$emit('update:modelValue', [3])
    await flushPromises()
    expect(ensureSession).toHaveBeenCalled()
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.url).toBe('/api/chat/sessions/7')
    expect(patch.body).toEqual({ knowledge_base_ids: [3] })
    expect(wrapper.emitted('saved')![0]).toEqual([session])
  })

  it('stays hidden when there is no knowledge base to offer', async () => {
    installFakeFetch(() => json(200, page([])))
    const wrapper = mount(KnowledgePicker, {
      props: { selected: [], ensureSession: async () => 7 },
      global: { plugins: [ElementPlus, i18n] },
    })
    await flushPromises()
    expect(wrapper.find('[data-testid="chat-knowledge"]').exists()).toBe(false)
  })
})

describe('MessageSources', () => {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }] })

  it('lists numbered sources with snippets and links to their documents', () => {
    const source = {
      index: 1, score: 0.71, knowledge_base_id: 3, knowledge_base_name: 'Handbook', document_id: 9,
      filename: 'guide.md', chunk_index: 0, heading: 'Guide > Backups', text: 'Copy the data every night.',
    }
    const wrapper = mount(MessageSources, { props: { sources: [source] }, global: { plugins: [ElementPlus, i18n, router] } })
    const item = wrapper.find('[data-testid="chat-source"]')
    expect(item.text()).toContain('[1]')
    expect(item.text()).toContain('Guide > Backups')
    expect(item.text()).toContain('Copy the data every night.')
    expect(item.find('a').attributes('href')).toBe('/knowledge/3?document=9')
  })

  it("shows a Dify app's passages with their Dify knowledge base, without a link", () => {
    const source = {
      index: 1, score: 0.91, knowledge_base_id: null, knowledge_base_name: 'Handbook', document_id: null,
      filename: 'holidays.md', chunk_index: 0, heading: '', text: 'Every employee has 25 days of paid holiday.',
    }
    const wrapper = mount(MessageSources, { props: { sources: [source] }, global: { plugins: [ElementPlus, i18n, router] } })
    const item = wrapper.find('[data-testid="chat-source"]')
    expect(item.find('a').exists()).toBe(false)
    expect(item.find('[data-testid="chat-source-external"]').text()).toBe('holidays.md (Handbook)')
    expect(item.text()).toContain('25 days of paid holiday')
  })

  it('says so when nothing relevant was found', () => {
    const wrapper = mount(MessageSources, { props: { sources: [] }, global: { plugins: [ElementPlus, i18n, router] } })
    expect(wrapper.text()).toContain(i18n.global.t('knowledge.noSources'))
  })
})
