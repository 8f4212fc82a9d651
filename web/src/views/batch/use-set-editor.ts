import { computed, ref, shallowRef } from 'vue'
import { batchApi, type BatchRowBody } from '@/api/batch'
import { ApiError } from '@/api/http'
import type { BatchSetRead } from '@/api/types'
import { uploadProblems, type UploadProblems } from './batch-format'

export const EDITOR_PAGE_SIZE = 20
/** The API's largest page, for loading a set's rows into the editor. */
const LOAD_PAGE_SIZE = 200

export interface RowDraft {
  key: number
  prompt: string
  reference: string
  systemPrompt: string
  /** `;`-separated, as in a CSV file. */
  tags: string
}

let nextKey = 1

export function newRow(fields: Partial<Omit<RowDraft, 'key'>> = {}): RowDraft {
  return { key: nextKey++, prompt: '', reference: '', systemPrompt: '', tags: '', ...fields }
}

/** The editor's rows as the API wants them: blank optional fields left out, tags split on `;`. */
export function rowsBody(drafts: RowDraft[]): BatchRowBody[] {
  return drafts.map((draft) => {
    const row: BatchRowBody = { prompt: draft.prompt }
    if (draft.reference.trim()) row.reference = draft.reference
    if (draft.systemPrompt.trim()) row.system_prompt = draft.systemPrompt
    const tags = draft.tags
      .split(';')
      .map((tag) => tag.trim())
      .filter(Boolean)
    if (tags.length) row.tags = tags
    return row
  })
}

/** The page (1-based) of the editor's table that shows row `row` (1-based). */
export function pageOfRow(row: number, pageSize = EDITOR_PAGE_SIZE): number {
  return Math.max(1, Math.ceil(row / pageSize))
}

/** Build a test set in the page, or edit one: rows, paging, saving and the server's refusals. */
export function useSetEditor() {
  const name = ref('')
  const rows = ref<RowDraft[]>([newRow()])
  /** The set being edited; null while building a new one. */
  const editing = shallowRef<BatchSetRead | null>(null)
  const page = ref(1)
  const loading = ref(false)
  const saving = ref(false)
  const problems = ref<UploadProblems | null>(null)
  /** True after the server said the edited set has runs: only "save as new" can work. */
  const hasRuns = ref(false)

  const visible = computed(() => rows.value.slice((page.value - 1) * EDITOR_PAGE_SIZE, page.value * EDITOR_PAGE_SIZE))
  const offset = computed(() => (page.value - 1) * EDITOR_PAGE_SIZE)
  const canSave = computed(() => name.value.trim() !== '' && rows.value.length > 0 && !saving.value && !loading.value)

  function reset(): void {
    name.value = ''
    rows.value = [newRow()]
    editing.value = null
    page.value = 1
    problems.value = null
    hasRuns.value = false
  }

  function addRow(): void {
    rows.value.push(newRow())
    page.value = pageOfRow(rows.value.length)
  }

  function removeRow(key: number): void {
    rows.value = rows.value.filter((row) => row.key !== key)
    page.value = Math.min(page.value, pageOfRow(rows.value.length))
  }

  /** Load every row of an existing set into the editor. */
  async function edit(set: BatchSetRead): Promise<void> {
    reset()
    editing.value = set
    name.value = set.name
    loading.value = true
    try {
      const loaded: RowDraft[] = []
      for (let index = 1; ; index++) {
        const detail = await batchApi.getSet(set.id, index, LOAD_PAGE_SIZE)
        for (const row of detail.rows.items) {
          loaded.push(
            newRow({
              prompt: row.prompt,
              reference: row.reference ?? '',
              systemPrompt: row.system_prompt ?? '',
              tags: row.tags.join('; '),
            }),
          )
        }
        if (index * LOAD_PAGE_SIZE >= detail.rows.total) break
      }
      rows.value = loaded
    } finally {
      loading.value = false
    }
  }

  /** Create a new set (or, when editing and `asNew` is false, replace the edited one). */
  async function save(asNew = false): Promise<BatchSetRead | null> {
    problems.value = null
    saving.value = true
    const body = { name: name.value.trim(), rows: rowsBody(rows.value) }
    try {
      const target = asNew ? null : editing.value
      return target ? await batchApi.replaceSet(target.id, body) : await batchApi.createSet(body)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'test_set_has_runs') hasRuns.value = true
      problems.value = uploadProblems(err) ?? {
        message: err instanceof Error ? err.message : String(err),
        errors: [],
        total: 0,
      }
      const first = problems.value.errors.find((problem) => problem.row !== null)
      if (first?.row) page.value = pageOfRow(first.row)
      return null
    } finally {
      saving.value = false
    }
  }

  return {
    name,
    rows,
    editing,
    page,
    loading,
    saving,
    problems,
    hasRuns,
    visible,
    offset,
    canSave,
    reset,
    addRow,
    removeRow,
    edit,
    save,
  }
}
