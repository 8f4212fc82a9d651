import { ElMessageBox } from 'element-plus'
import { onBeforeUnmount, onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { trainingApi, type CancelMode, type JobRead, type JobStatus } from '@/api/training'
import { isActive } from './training-format'

export const LIST_POLL_MS = 3000

/** The jobs list: a page of jobs with a status filter, refreshed while any of them is active. */
export function useTrainingJobs() {
  const { t } = useI18n()
  const jobs = ref<JobRead[]>([])
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(20)
  const status = ref<JobStatus | ''>('')
  const loading = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null

  async function load(quiet = false): Promise<void> {
    if (!quiet) loading.value = true
    try {
      const result = await trainingApi.list(page.value, pageSize.value, status.value || undefined, { toast: !quiet })
      jobs.value = result.items
      total.value = result.total
    } finally {
      loading.value = false
      schedule()
    }
  }

  function schedule(): void {
    if (timer) clearTimeout(timer)
    timer = jobs.value.some((job) => isActive(job.status)) ? setTimeout(() => void load(true), LIST_POLL_MS) : null
  }

  async function cancel(job: JobRead, mode: CancelMode): Promise<void> {
    const confirmed = await ElMessageBox.confirm(
      t(mode === 'force' ? 'training.confirmForce' : 'training.confirmCancel', { name: job.name }),
      t('training.cancel'),
      { type: 'warning' },
    ).catch(() => false)
    if (!confirmed) return
    await trainingApi.cancel(job.id, mode)
    await load(true)
  }

  async function remove(job: JobRead): Promise<void> {
    const confirmed = await ElMessageBox.confirm(t('training.deleteConfirm', { name: job.name }), t('common.delete'), {
      type: 'warning',
    }).catch(() => false)
    if (!confirmed) return
    await trainingApi.remove(job.id)
    await load(true)
  }

  onMounted(() => void load())
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer)
  })
  return { jobs, total, page, pageSize, status, loading, load, cancel, remove }
}
