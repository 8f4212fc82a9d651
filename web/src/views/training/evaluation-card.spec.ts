import { flushPromises, mount, RouterLinkStub } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setAccessToken } from '@/api/http'
import type { JobEvaluation } from '@/api/training'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, type FakeCall } from '@/test/fake-fetch'
import EvaluationCard from './evaluation-card.vue'

const URL = '/api/training/jobs/7/evaluation'

function makeEvaluation(changes: Partial<JobEvaluation> = {}): JobEvaluation {
  return {
    id: 1,
    job_id: 7,
    status: 'completed',
    phase: null,
    reason: null,
    base_version_id: 2,
    tuned_version_id: 1,
    set_id: 3,
    run_id: 4,
    created_at: '2026-11-23T13:00:00Z',
    started_at: '2026-11-23T13:00:01Z',
    finished_at: '2026-11-23T13:01:00Z',
    summary: [
      { side: 'base', version_id: 2, model_id: 11, model_name: 'tiny-base', mean_similarity: 0.125, mean_latency_ms: 80.4, answered: 1, errors: 0 },
      { side: 'fine_tuned', version_id: 1, model_id: 12, model_name: 'tiny-lora', mean_similarity: 0.75, mean_latency_ms: 95, answered: 1, errors: 0 },
    ],
    rows: [
      {
        position: 1,
        prompt: 'Say the number 0.',
        reference: 'The number is 0.',
        base: { answer: 'zero?', similarity: 0.125, latency_ms: 80.4, failed: false },
        fine_tuned: { answer: 'The number is 0.', similarity: 0.75, latency_ms: 95, failed: false },
      },
    ],
    ...changes,
  }
}

async function mountCard(handler: (call: FakeCall) => Response, jobStatus = 'succeeded') {
  const calls = installFakeFetch(handler)
  const wrapper = mount(EvaluationCard, {
    props: { jobId: 7, jobStatus },
    attachTo: document.body,
    global: { plugins: [createPinia(), i18n, ElementPlus], stubs: { RouterLink: RouterLinkStub } },
  })
  await flushPromises()
  return { wrapper, calls }
}

beforeEach(() => {
  setAccessToken('user-token')
  i18n.global.locale.value = 'en'
})

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
  document.body.innerHTML = ''
})

describe('evaluation card', () => {
  it('shows base and fine-tuned side by side with a link to the batch run', async () => {
    const { wrapper } = await mountCard(() => json(200, makeEvaluation()))
    expect(wrapper.get('[data-testid="evaluation-state"]').text()).toBe('Completed')
    const summary = wrapper.get('[data-testid="evaluation-summary"]').text()
    expect(summary).toContain('Base · tiny-base')
    expect(summary).toContain('Fine-tuned · tiny-lora')
    expect(summary).toContain('0.125')
    expect(summary).toContain('0.750')
    expect(summary).toContain('80 ms')
    const rows = wrapper.get('[data-testid="evaluation-rows"]').text()
    expect(rows).toContain('Say the number 0.')
    expect(rows).toContain('Reference: The number is 0.')
    expect(rows).toContain('zero?')
    expect(rows).toContain('similarity 0.750')
    expect(wrapper.getComponent(RouterLinkStub).props('to')).toEqual({ name: 'batch-tests', query: { run: 4 } })
    expect(wrapper.get('[data-testid="evaluation-start"]').text()).toBe('Evaluate again')
    wrapper.unmount()
  })

  it('starts an evaluation by hand when there is none, and hides the button while it runs', async () => {
    let started = false
    const { wrapper, calls } = await mountCard((call) => {
      if (call.method === 'POST') {
        started = true
        return json(202, makeEvaluation({ status: 'pending', summary: [], rows: [], run_id: null }))
      }
      if (!started) return apiError(404, 'evaluation_not_found', 'Training job 7 has no evaluation.')
      return json(200, makeEvaluation({ status: 'running', phase: 'serving', summary: [], rows: [], run_id: null }))
    })
    expect(wrapper.text()).toContain('Not evaluated yet.')
    await wrapper.get('[data-testid="evaluation-start"]').trigger('click')
    await flushPromises()
    expect(calls.some((call) => call.method === 'POST' && call.url === URL)).toBe(true)
    expect(wrapper.get('[data-testid="evaluation-state"]').text()).toBe('Running')
    expect(wrapper.text()).toContain('starting both model servers')
    expect(wrapper.find('[data-testid="evaluation-start"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows why an evaluation failed, and offers no button for a job that did not succeed', async () => {
    const failed = makeEvaluation({ status: 'failed', reason: "Model version 'x' could not be served.", summary: [], rows: [], run_id: null })
    const { wrapper } = await mountCard(() => json(200, failed), 'failed')
    expect(wrapper.get('[data-testid="evaluation-state"]').text()).toBe('Failed')
    expect(wrapper.get('[data-testid="evaluation-reason"]').text()).toContain('could not be served')
    expect(wrapper.find('[data-testid="evaluation-start"]').exists()).toBe(false)
    wrapper.unmount()
  })
})
