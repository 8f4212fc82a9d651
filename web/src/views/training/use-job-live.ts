import { ElMessageBox } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import {
  followJob,
  trainingApi,
  type CancelMode,
  type JobDetail,
  type JobEvent,
  type JobTransition,
  type LogLine,
  type MetricPoint,
} from '@/api/training'
import { errorMessage } from '@/utils/errors'
import { downloadBlob } from '@/views/chat/use-chat-sessions'
import { appendLines, filterLines, isActive, mergePoints } from './training-format'

const LOG_PAGE = 200

/** A job page: its state, curves, log console and transitions, kept live over SSE. */
export function useJobLive(jobId: () => number) {
  const { t } = useI18n()
  const job = shallowRef<JobDetail | null>(null)
  const points = shallowRef<MetricPoint[]>([])
  const lines = shallowRef<LogLine[]>([])
  const transitions = ref<JobTransition[]>([])
  const query = ref('')
  const live = ref(false)
  const problem = ref('')
  const acting = ref(false)
  let metricAfter = 0
  let controller: AbortController | null = null

  const shownLines = computed(() => filterLines(lines.value, query.value))

  async function recentLines(id: number): Promise<LogLine[]> {
    const first = await trainingApi.logs(id, 1, 1)
    if (first.total === 0) return []
    const page = Math.ceil(first.total / LOG_PAGE)
    return (await trainingApi.logs(id, page, LOG_PAGE)).items
  }

  function onEvent(event: JobEvent): void {
    switch (event.event) {
      case 'job':
        if (job.value) job.value = { ...job.value, ...event.data }
        break
      case 'transition':
        if (!transitions.value.some((row) => row.at === event.data.at && row.to_status === event.data.to_status))
          transitions.value = [...transitions.value, event.data]
        break
      case 'log':
        lines.value = appendLines(lines.value, event.data.lines)
        break
      case 'metric':
        points.value = mergePoints(points.value, event.data.points)
        metricAfter = Math.max(metricAfter, ...event.data.points.map((point) => point.id))
        break
      case 'end':
        void refresh()
        break
    }
  }

  async function follow(): Promise<void> {
    controller?.abort()
    const mine = new AbortController()
    controller = mine
    live.value = true
    try {
      await followJob(
        jobId(),
        () => ({ logAfter: lines.value.at(-1)?.seq ?? 0, metricAfter }),
        onEvent,
        mine.signal,
      )
    } catch (err) {
      problem.value = errorMessage(err)
    } finally {
      if (controller === mine) live.value = false
    }
  }

  async function refresh(): Promise<void> {
    job.value = await trainingApi.get(jobId(), { toast: false })
  }

  async function load(): Promise<void> {
    problem.value = ''
    try {
      const id = jobId()
      const [detail, metrics, rows, recent] = await Promise.all([
        trainingApi.get(id, { toast: false }),
        trainingApi.metrics(id),
        trainingApi.transitions(id),
        recentLines(id),
      ])
      job.value = detail
      points.value = metrics
      metricAfter = Math.max(0, ...metrics.map((point) => point.id))
      transitions.value = rows
      lines.value = recent
      void follow()
    } catch (err) {
      problem.value = errorMessage(err)
    }
  }

  async function act(action: () => Promise<JobDetail>): Promise<void> {
    acting.value = true
    try {
      job.value = await action()
      if (isActive(job.value.status) && !live.value) void follow()
    } finally {
      acting.value = false
    }
  }

  async function cancel(mode: CancelMode): Promise<void> {
    if (!job.value) return
    const confirmed = await ElMessageBox.confirm(
      t(mode === 'force' ? 'training.confirmForce' : 'training.confirmCancel', { name: job.value.name }),
      t('training.cancel'),
      { type: 'warning' },
    ).catch(() => false)
    if (confirmed) await act(() => trainingApi.cancel(jobId(), mode))
  }

  const retry = () => act(() => trainingApi.retry(jobId()))
  const resume = () => act(() => trainingApi.resume(jobId()))

  async function downloadLogs(): Promise<void> {
    const { blob, filename } = await trainingApi.downloadLogs(jobId())
    downloadBlob(blob, filename)
  }

  onMounted(() => void load())
  onBeforeUnmount(() => controller?.abort())
  return {
    job,
    points,
    lines,
    shownLines,
    transitions,
    query,
    live,
    problem,
    acting,
    cancel,
    retry,
    resume,
    downloadLogs,
  }
}
