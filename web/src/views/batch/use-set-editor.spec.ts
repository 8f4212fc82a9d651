import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent } from 'vue'
import { setAccessToken } from '@/api/http'
import type { BatchSetRead } from '@/api/types'
import { apiError, installFakeFetch, json, type FakeHandler } from '@/test/fake-fetch'
import { EDITOR_PAGE_SIZE, newRow, pageOfRow, rowsBody, useSetEditor } from './use-set-editor'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

const SET: BatchSetRead = {
  id: 4,
  name: 'quiz',
  source: 'json',
  row_count: 2,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
}

function mountEditor(handler: FakeHandler) {
  const calls = installFakeFetch(handler)
  let state!: ReturnType<typeof useSetEditor>
  mount(
    defineComponent({
      setup() {
        state = useSetEditor()
        return () => null
      },
    }),
  )
  return { state, calls }
}

beforeEach(() => setAccessToken('tok'))
afterEach(() => setAccessToken(null))

describe('rowsBody', () => {
  it('leaves blank optional fields out and splits tags on ;', () => {
    const rows = [
      newRow({ prompt: 'Q1', reference: 'A', systemPrompt: 'Be brief.', tags: ' math ; ;easy ' }),
      newRow({ prompt: 'Q2', reference: '  ', tags: ' ' }),
    ]
    expect(rowsBody(rows)).toEqual([
      { prompt: 'Q1', reference: 'A', system_prompt: 'Be brief.', tags: ['math', 'easy'] },
      { prompt: 'Q2' },
    ])
  })

  it('finds the page of a row', () => {
    expect([pageOfRow(0), pageOfRow(1), pageOfRow(EDITOR_PAGE_SIZE), pageOfRow(EDITOR_PAGE_SIZE + 1)]).toEqual([1, 1, 1, 2])
  })
})

describe('useSetEditor', () => {
  it('adds and removes rows, following the new row to its page', () => {
    const { state } = mountEditor(() => json(200, {}))
    expect(state.rows.value).toHaveLength(1)
    for (let i = 0; i < EDITOR_PAGE_SIZE; i++) state.addRow()
    expect(state.page.value).toBe(2)
    expect(state.visible.value).toHaveLength(1)
    expect(state.offset.value).toBe(EDITOR_PAGE_SIZE)
    state.removeRow(state.visible.value[0]!.key)
    expect(state.page.value).toBe(1)
    expect(state.rows.value).toHaveLength(EDITOR_PAGE_SIZE)
  })

  it('creates a new set from the rows', async () => {
    const { state, calls } = mountEditor(() => json(201, { ...SET, id: 9 }))
    expect(state.canSave.value).toBe(false)
    state.name.value = ' New set '
    state.rows.value[0]!.prompt = 'Hi'
    expect(state.canSave.value).toBe(true)
    const saved = await state.save()
    expect(saved?.id).toBe(9)
    expect([calls[0]!.method, calls[0]!.url, calls[0]!.body]).toEqual([
      'POST',
      '/api/batch-tests/sets',
      { name: 'New set', rows: [{ prompt: 'Hi' }] },
    ])
  })

  it('loads every row of a set to edit it, then replaces it', async () => {
    const detail = {
      ...SET,
      rows: {
        items: [
          { id: 1, position: 1, source_row: 1, prompt: 'a', reference: 'A', system_prompt: null, tags: ['x', 'y'] },
          { id: 2, position: 2, source_row: 2, prompt: 'b', reference: null, system_prompt: 'S', tags: [] },
        ],
        total: 2,
        page: 1,
        page_size: 200,
      },
    }
    const { state, calls } = mountEditor((call) => (call.method === 'GET' ? json(200, detail) : json(200, SET)))
    await state.edit(SET)
    expect(calls[0]!.url).toBe('/api/batch-tests/sets/4?page=1&page_size=200')
    expect(state.name.value).toBe('quiz')
    expect(state.rows.value.map((r) => [r.prompt, r.reference, r.systemPrompt, r.tags])).toEqual([
      ['a', 'A', '', 'x; y'],
      ['b', '', 'S', ''],
    ])
    await state.save()
    expect([calls[1]!.method, calls[1]!.url, calls[1]!.body]).toEqual([
      'PUT',
      '/api/batch-tests/sets/4',
      { name: 'quiz', rows: [{ prompt: 'a', reference: 'A', tags: ['x', 'y'] }, { prompt: 'b', system_prompt: 'S' }] },
    ])
    await state.save(true)
    expect([calls[2]!.method, calls[2]!.url]).toEqual(['POST', '/api/batch-tests/sets'])
  })

  it('shows row-numbered problems and jumps to the first one', async () => {
    const { state } = mountEditor(() =>
      apiError(422, 'invalid_test_set', 'The test set has 1 problem', {
        errors: [{ row: 25, message: 'prompt is empty' }],
        error_count: 1,
      }),
    )
    state.name.value = 'x'
    for (let i = 0; i < 30; i++) state.addRow()
    state.page.value = 1
    expect(await state.save()).toBeNull()
    expect(state.problems.value?.errors).toEqual([{ row: 25, message: 'prompt is empty' }])
    expect(state.page.value).toBe(2)
    expect(state.hasRuns.value).toBe(false)
  })

  it('knows when only saving as a new set can work', async () => {
    const { state } = mountEditor((call) =>
      call.method === 'GET'
        ? json(200, { ...SET, rows: { items: [], total: 0, page: 1, page_size: 200 } })
        : apiError(409, 'test_set_has_runs', 'This test set has runs'),
    )
    await state.edit(SET)
    expect(await state.save()).toBeNull()
    expect(state.hasRuns.value).toBe(true)
    expect(state.problems.value).toEqual({ message: 'This test set has runs', errors: [], total: 0 })
  })
})
