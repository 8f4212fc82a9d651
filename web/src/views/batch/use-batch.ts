import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { batchApi, type BatchExportFormat } from '@/api/batch'
import { modelsApi } from '@/api/models'
import type { BatchResultPage, BatchRunDetail, BatchRunRead, BatchScorer, BatchSetRead, ModelRead } from '@/api/types'
import { errorMessage } from '@/utils/errors'
import { downloadBlob } from '@/views/chat/use-chat-sessions'
import { isActiveRun, uploadProblems, type UploadProblems } from './batch-format'

export const POLL_MS = 2000
export const RESULTS_PAGE_SIZE = 10

export type ScorerType = BatchScorer['type']

export interface ScorerDraft {
  type: ScorerType
  pattern: string
  ignoreCase: boolean
  threshold: number
  judgeModelId: number | null
  rubric: string
}

export function newScorer(type: ScorerType = 'exact'): ScorerDraft {
  return { type, pattern: '', ignoreCase: false, threshold: 0.8, judgeModelId: null, rubric: '' }
}

/** The form's scorers as the API wants them; names are made unique (contains, contains-2…). */
export function scorersBody(drafts: ScorerDraft[]): BatchScorer[] {
  const seen = new Map<string, number>()
  return drafts.map((draft) => {
    const count = (seen.get(draft.type) ?? 0) + 1
    seen.set(draft.type, count)
    const name = count > 1 ? `${draft.type}-${count}` : undefined
    const named = name ? { name } : {}
    switch (draft.type) {
      case 'exact':
        return { type: 'exact', normalize: true, ...named }
      case 'contains':
        return { type: 'contains', normalize: true, ...named }
      case 'regex':
        return { type: 'regex', pattern: draft.pattern, ignore_case: draft.ignoreCase, ...named }
      case 'similarity':
        return { type: 'similarity', threshold: draft.threshold, ...named }
      case 'judge':
        return { type: 'judge', judge_model_id: draft.judgeModelId ?? 0, rubric: draft.rubric, ...named }
    }
  })
}

export function useBatch() {
  const { t } = useI18n()
  const sets = ref<BatchSetRead[]>([])
  const runs = ref<BatchRunRead[]>([])
  const models = ref<ModelRead[]>([])
  const problems = ref<UploadProblems | null>(null)
  const uploading = ref(false)
  const detail = shallowRef<BatchRunDetail | null>(null)
  const results = shallowRef<BatchResultPage | null>(null)
  const resultsPage = ref(1)
  let timer: ReturnType<typeof setInterval> | null = null

  const anyActive = computed(
    () => runs.value.some((run) => isActiveRun(run.status)) || (detail.value !== null && isActiveRun(detail.value.status)),
  )

  async function loadSets(): Promise<void> {
    try {
      sets.value = (await batchApi.listSets()).items
    } catch {
      // toast shown by the client
    }
  }

  async function loadRuns(): Promise<void> {
    try {
      runs.value = (await batchApi.listRuns()).items
    } catch {
      // toast shown by the client
    }
  }

  async function loadResults(): Promise<void> {
    if (!detail.value) return
    try {
      results.value = await batchApi.results(detail.value.id, resultsPage.value, RESULTS_PAGE_SIZE)
    } catch {
      // toast shown by the client
    }
  }

  async function openRun(id: number): Promise<void> {
    try {
      detail.value = await batchApi.getRun(id)
      resultsPage.value = 1
      await loadResults()
    } catch {
      // toast shown by the client
    }
    schedule()
  }

  async function upload(file: File): Promise<void> {
    problems.value = null
    uploading.value = true
    try {
      const created = await batchApi.uploadSet(file, file.name)
      ElMessage.success(t('batch.uploaded', { name: created.name, count: created.row_count }))
      await loadSets()
    } catch (err) {
      problems.value = uploadProblems(err)
      if (!problems.value) ElMessage.error(errorMessage(err))
    } finally {
      uploading.value = false
    }
  }

  async function deleteSet(set: BatchSetRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('batch.deleteSet', { name: set.name }), { type: 'warning' })
    } catch {
      return
    }
    try {
      await batchApi.deleteSet(set.id)
      ElMessage.success(t('batch.deleted'))
      if (detail.value?.set_id === set.id) detail.value = null
      await Promise.all([loadSets(), loadRuns()])
    } catch {
      // toast shown by the client
    }
  }

  async function startRun(body: Parameters<typeof batchApi.createRun>[0]): Promise<boolean> {
    try {
      const run = await batchApi.createRun(body)
      ElMessage.success(t('batch.started'))
      await loadRuns()
      await openRun(run.id)
      return true
    } catch {
      return false
    }
  }

  async function cancelRun(run: BatchRunRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('batch.cancelConfirm'), { type: 'warning' })
    } catch {
      return
    }
    try {
      await batchApi.cancelRun(run.id)
      await loadRuns()
      if (detail.value?.id === run.id) await openRun(run.id)
    } catch {
      // toast shown by the client
    }
  }

  async function exportRun(format: BatchExportFormat): Promise<void> {
    if (!detail.value) return
    try {
      const { blob, filename } = await batchApi.exportRun(detail.value.id, format)
      downloadBlob(blob, filename)
    } catch (err) {
      ElMessage.error(errorMessage(err))
    }
  }

  async function poll(): Promise<void> {
    await loadRuns()
    if (detail.value && isActiveRun(detail.value.status)) {
      try {
        detail.value = await batchApi.getRun(detail.value.id, { toast: false })
        await loadResults()
      } catch {
        // keep the last view; the next tick retries
      }
    }
    schedule()
  }

  /** Poll every POLL_MS while a run is queued or running; stop once none is. */
  function schedule(): void {
    if (anyActive.value && !timer) timer = setInterval(() => void poll(), POLL_MS)
    if (!anyActive.value && timer) {
      clearInterval(timer)
      timer = null
    }
  }

  function setResultsPage(page: number): void {
    resultsPage.value = page
    void loadResults()
  }

  onMounted(async () => {
    void modelsApi
      .list()
      .then((list) => (models.value = list.filter((model) => model.capabilities.includes('chat'))))
      .catch(() => {})
    await Promise.all([loadSets(), loadRuns()])
    schedule()
  })
  onBeforeUnmount(() => {
    if (timer) clearInterval(timer)
  })

  return {
    sets,
    runs,
    models,
    problems,
    uploading,
    detail,
    results,
    resultsPage,
    upload,
    loadSets,
    deleteSet,
    startRun,
    cancelRun,
    openRun,
    exportRun,
    setResultsPage,
  }
}
