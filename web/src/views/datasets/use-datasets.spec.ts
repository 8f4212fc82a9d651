import { mount } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import type { DatasetDetail } from '@/api/datasets'
import { setAccessToken } from '@/api/http'
import { i18n } from '@/i18n'
import { apiError, installFakeFetch, json, noContent, type FakeHandler } from '@/test/fake-fetch'
import { installFakeXhr } from '@/test/fake-xhr'
import { useDatasets } from './use-datasets'

vi.mock('element-plus', () => ({
  ElMessage: { error: vi.fn(), success: vi.fn() },
  ElMessageBox: { confirm: vi.fn() },
}))

const DETAIL: DatasetDetail = {
  id: 7,
  name: 'qa',
  version: 1,
  description: '',
  format: 'alpaca',
  has_preferences: false,
  source_name: 'qa.jsonl',
  record_count: 12,
  train_count: 10,
  heldout_count: 2,
  split_percent: 10,
  split_seed: 42,
  size_bytes: 300,
  sha256: 'ab',
  created_at: '2026-01-01T00:00:00Z',
  stats: {
    tokenizer: 'estimate (o200k_base)',
    tokens: { min: 1, max: 9, mean: 4, p50: 4, p95: 9, total: 48 },
    histogram: [],
    cutoff_len: 1024,
    mean_turns: 2,
    lint: {},
  },
}
const RECORD = { index: 1, line: 1, heldout: false, record: { instruction: 'q', output: 'a' } }

function mountDatasets(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useDatasets>
  mount(
    defineComponent({
      setup() {
        state = useDatasets()
        return () => null
      },
    }),
    { global: { plugins: [i18n] } },
  )
  return { state, calls }
}

function api(call: { method: string; url: string }): Response {
  if (call.url.includes('/records')) return json(200, { items: [RECORD], total: 12, page: 2, page_size: 10 })
  if (call.url.includes('/stats')) return json(200, { ...DETAIL.stats, cutoff_len: 8 })
  if (call.method === 'DELETE') return noContent()
  if (call.url.startsWith('/api/datasets/7')) return json(200, DETAIL)
  return json(200, { items: [DETAIL], total: 1, page: 1, page_size: 20 })
}

beforeEach(() => setAccessToken('tok'))
afterEach(() => setAccessToken(null))

describe('useDatasets', () => {
  it('uploads with the form, shows progress, then opens the new dataset', async () => {
    const fake = installFakeXhr((xhr) => xhr.finish(201, DETAIL, [50]))
    const { state, calls } = mountDatasets(api)
    Object.assign(state.form, { name: ' qa ', format: 'alpaca', splitPercent: 20, basePath: '' })

    const created = await state.upload(new File(['x'], 'qa.jsonl'))

    expect(created?.id).toBe(7)
    expect(fake.sent[0].url).toBe(
      '/api/datasets?filename=qa.jsonl&name=qa&format=alpaca&split_percent=20&split_seed=42&cutoff_len=1024',
    )
    expect(state.progress.value).toBe(100)
    expect(state.current.value?.id).toBe(7)
    expect(state.records.value).toEqual([RECORD])
    expect(state.recordsTotal.value).toBe(12)
    expect(state.list.items.value).toEqual([DETAIL])
    expect(state.report.value).toBeNull()
    expect(calls.map((call) => call.url)).toContain('/api/datasets/7/records?page=1&page_size=10')
  })

  it('keeps the validation report of a refused upload', async () => {
    const details = { errors: [{ line: 3, message: "'output' is missing." }], error_count: 1 }
    installFakeXhr((xhr) => xhr.finish(422, { code: 'invalid_dataset', message: 'not valid', details }))
    const { state } = mountDatasets(api)

    expect(await state.upload(new File(['x'], 'bad.jsonl'))).toBeNull()

    expect(state.report.value).toEqual({
      code: 'invalid_dataset',
      message: 'not valid',
      errors: details.errors,
      errorCount: 1,
    })
    expect(state.uploading.value).toBe(false)
    expect(state.current.value).toBeNull()
  })

  it('pages the preview, recounts for another cutoff, and deletes after confirming', async () => {
    const { state, calls } = mountDatasets(api)
    await state.open(7)
    await state.loadRecords(2)
    expect(state.recordsPage.value).toBe(2)
    await state.recount(8)
    expect(state.stats.value?.cutoff_len).toBe(8)
    expect(calls.map((call) => call.url)).toContain('/api/datasets/7/stats?cutoff_len=8')

    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce('confirm' as never)
    await state.remove({ id: 7, name: 'qa' })
    expect(calls.some((call) => call.method === 'DELETE' && call.url === '/api/datasets/7')).toBe(true)
    expect(state.current.value).toBeNull()
  })

  it('keeps the dataset when deleting is cancelled or refused', async () => {
    const { state, calls } = mountDatasets((call) =>
      call.method === 'DELETE' ? apiError(409, 'dataset_in_use', 'in use') : api(call),
    )
    await state.open(7)
    vi.mocked(ElMessageBox.confirm).mockRejectedValueOnce('cancel')
    await state.remove({ id: 7, name: 'qa' })
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false)
    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce('confirm' as never)
    await state.remove({ id: 7, name: 'qa' })
    expect(state.current.value?.id).toBe(7)
  })
})
