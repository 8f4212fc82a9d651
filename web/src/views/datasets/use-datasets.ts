import { ElMessage, ElMessageBox } from 'element-plus'
import { reactive, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import {
  datasetsApi,
  type DatasetDetail,
  type DatasetFormat,
  type DatasetRead,
  type DatasetRecord,
  type DatasetStats,
} from '@/api/datasets'
import { usePagedList } from '@/composables/use-paged-list'
import { uploadReport, type UploadReport } from './dataset-format'

export interface UploadForm {
  name: string
  format: DatasetFormat
  splitPercent: number
  splitSeed: number
  cutoffLen: number
  basePath: string
}

export const PREVIEW_PAGE_SIZE = 10

export function defaultForm(): UploadForm {
  return { name: '', format: 'auto', splitPercent: 10, splitSeed: 42, cutoffLen: 1024, basePath: '' }
}

/** The Datasets page: the list, the upload (progress, validation report), the open dataset. */
export function useDatasets() {
  const { t } = useI18n()
  const list = usePagedList<DatasetRead>((page, pageSize) => datasetsApi.list(page, pageSize))
  const form = reactive(defaultForm())
  const progress = ref(0)
  const uploading = ref(false)
  const report = shallowRef<UploadReport | null>(null)
  const current = shallowRef<DatasetDetail | null>(null)
  const stats = shallowRef<DatasetStats | null>(null)
  const records = shallowRef<DatasetRecord[]>([])
  const recordsTotal = ref(0)
  const recordsPage = ref(1)

  async function loadRecords(page: number): Promise<void> {
    if (!current.value) return
    const result = await datasetsApi.records(current.value.id, page, PREVIEW_PAGE_SIZE)
    recordsPage.value = page
    records.value = result.items
    recordsTotal.value = result.total
  }

  async function show(dataset: DatasetDetail): Promise<void> {
    current.value = dataset
    stats.value = dataset.stats
    await loadRecords(1)
  }

  async function open(id: number): Promise<void> {
    await show(await datasetsApi.get(id))
  }

  async function upload(file: File): Promise<DatasetDetail | null> {
    uploading.value = true
    progress.value = 0
    report.value = null
    try {
      const created = await datasetsApi.upload(
        file,
        {
          filename: file.name,
          name: form.name.trim() || undefined,
          format: form.format,
          split_percent: form.splitPercent,
          split_seed: form.splitSeed,
          cutoff_len: form.cutoffLen,
          base_model_path: form.basePath.trim() || undefined,
        },
        (fraction) => (progress.value = Math.round(fraction * 100)),
      )
      progress.value = 100
      ElMessage.success(t('datasets.upload.done', { name: created.name, count: created.record_count }))
      await Promise.all([list.reload(), show(created)])
      return created
    } catch (error) {
      report.value = uploadReport(error)
      return null
    } finally {
      uploading.value = false
    }
  }

  async function recount(cutoffLen: number): Promise<void> {
    if (current.value) stats.value = await datasetsApi.stats(current.value.id, cutoffLen)
  }

  async function remove(dataset: Pick<DatasetRead, 'id' | 'name'>): Promise<void> {
    try {
      await ElMessageBox.confirm(t('datasets.deleteConfirm', { name: dataset.name }), { type: 'warning' })
      await datasetsApi.remove(dataset.id)
    } catch {
      return // cancelled, or refused (the request client showed why)
    }
    if (current.value?.id === dataset.id) current.value = null
    await list.load()
  }

  return {
    list,
    form,
    progress,
    uploading,
    report,
    current,
    stats,
    records,
    recordsTotal,
    recordsPage,
    open,
    upload,
    loadRecords,
    recount,
    remove,
  }
}
