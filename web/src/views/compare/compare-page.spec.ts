import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json } from '@/test/fake-fetch'
import { makeCompareLane, makeCompareRun, makePromptTemplate } from '@/test/fixtures'
import ComparePage from './index.vue'

const byTestId = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`)

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await flushPromises()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

const hiddenLanes = [
  makeCompareLane({ id: 1, label: 'A', model_name: null, provider_name: null, status: 'complete', content: '**bold** <img src=x onerror=alert(1)>', latency_ms: 900 }),
  makeCompareLane({ id: 2, position: 1, label: 'B', model_name: null, provider_name: null, status: 'error', error: { code: 'upstream_http', message: 'Bad gateway' } }),
]
const blindRun = makeCompareRun(hiddenLanes, { id: 5, blind: true, revealed: false })
const revealed = makeCompareRun(
  [
    { ...hiddenLanes[0]!, model_name: 'Fast', provider_name: 'local' },
    { ...hiddenLanes[1]!, model_name: 'Slow', provider_name: 'local' },
  ],
  { id: 5, blind: true, revealed: true, winner_lane_id: 1 },
)

beforeEach(() => {
  setAccessToken('token-1')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('compare page', () => {
  it('opens a blind run from history, keeps errors in their lane, and reveals on a vote', async () => {
    const calls = installFakeFetch((call) => {
      if (call.url === '/api/models') return json(200, [])
      if (call.url.startsWith('/api/compare?'))
        return json(200, {
          items: [{ ...blindRun, prompt_preview: 'Hi', lanes: [] }],
          total: 1,
          page: 1,
          page_size: 50,
        })
      if (call.url === '/api/compare/5') return json(200, blindRun)
      if (call.url === '/api/compare/5/vote') return json(200, revealed)
      if (call.url === '/api/compare/5/lanes/1/continue') return json(201, { id: 42 })
      return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
    })
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/compare', component: ComparePage },
        { path: '/chat/:id', component: { template: '<div />' } },
      ],
    })
    await router.push('/compare')
    await router.isReady()
    const wrapper = mount(ComparePage, { attachTo: document.body, global: { plugins: [createPinia(), i18n, ElementPlus, router] } })
    await settle()
    expect(byTestId('page-compare')).not.toBeNull()

    byTestId('compare-history-open')!.click()
    await settle()
    byTestId('compare-history-5')!.querySelector('button')!.click()
    await settle()

    const lane0 = byTestId('compare-lane-0')!
    const lane1 = byTestId('compare-lane-1')!
    expect(lane0.dataset.status).toBe('complete')
    expect(lane0.querySelector('[data-testid="lane-title"]')!.textContent).toBe('A')
    expect(lane1.querySelector('[data-testid="lane-title"]')!.textContent).toBe('B')
    const content = lane0.querySelector('[data-testid="lane-content"]')!
    expect(content.querySelector('strong')?.textContent).toBe('bold')
    expect(content.querySelector('img')).toBeNull()
    expect(lane0.querySelector('[data-testid="lane-error"]')).toBeNull()
    expect(lane1.dataset.status).toBe('error')
    expect(lane1.querySelector('[data-testid="lane-error"]')!.textContent).toContain('Bad gateway')
    expect(lane0.querySelector('[data-testid="lane-metrics"]')!.textContent).toContain('900 ms')
    expect(byTestId('compare-blind-hint')).not.toBeNull()

    lane0.querySelector<HTMLElement>('[data-testid="lane-winner"]')!.click()
    await settle()
    expect(calls.find((c) => c.url === '/api/compare/5/vote')?.body).toEqual({ winner_lane_id: 1 })
    expect(byTestId('compare-lane-0')!.querySelector('[data-testid="lane-title"]')!.textContent).toBe('Fast')
    expect(byTestId('compare-lane-0')!.querySelector('[data-testid="lane-winner-tag"]')).not.toBeNull()
    expect(byTestId('compare-blind-hint')).toBeNull()

    byTestId('compare-lane-0')!.querySelector<HTMLElement>('[data-testid="lane-continue"]')!.click()
    await settle()
    expect(router.currentRoute.value.fullPath).toBe('/chat/42')
    wrapper.unmount()
  })

  it('pages through the history and fills the prompt from a template', async () => {
    const template = makePromptTemplate({ id: 3, name: 'Greeter', body: 'Say hi to {{name}}.', variables: [] })
    const summary = (id: number) => ({ ...makeCompareRun([], { id }), prompt_preview: `Run ${id}`, lanes: [] })
    const calls = installFakeFetch((call) => {
      if (call.url === '/api/models') return json(200, [])
      if (call.url.startsWith('/api/compare?page=1'))
        return json(200, { items: [summary(30)], total: 25, page: 1, page_size: 20 })
      if (call.url.startsWith('/api/compare?page=2'))
        return json(200, { items: [summary(4)], total: 25, page: 2, page_size: 20 })
      if (call.url.startsWith('/api/prompts?')) return json(200, { items: [template], total: 1, page: 1, page_size: 50 })
      if (call.url === '/api/prompts/3/render') return json(200, { text: 'Say hi to Ada.', variables: [] })
      return apiError(404, 'not_found', `unexpected ${call.method} ${call.url}`)
    })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/compare', component: ComparePage }] })
    await router.push('/compare')
    await router.isReady()
    const wrapper = mount(ComparePage, { attachTo: document.body, global: { plugins: [createPinia(), i18n, ElementPlus, router] } })
    await settle()

    byTestId('compare-history-open')!.click()
    await settle()
    expect(byTestId('compare-history-30')).not.toBeNull()
    const pager = byTestId('compare-history-pagination')!
    pager.querySelector<HTMLElement>('.el-pager li:nth-child(2)')!.click()
    await settle()
    expect(calls.at(-1)!.url).toBe('/api/compare?page=2&page_size=20')
    expect(byTestId('compare-history-4')).not.toBeNull()
    expect(byTestId('compare-history-30')).toBeNull()

    byTestId('compare-template')!.click()
    await settle()
    byTestId('template-item-3')!.click()
    await settle()
    byTestId('template-apply-message')!.click()
    await settle()
    expect(calls.find((c) => c.url === '/api/prompts/3/render')?.body).toEqual({ values: {} })
    expect((byTestId('compare-prompt') as HTMLTextAreaElement).value).toBe('Say hi to Ada.')
    wrapper.unmount()
  })
})
