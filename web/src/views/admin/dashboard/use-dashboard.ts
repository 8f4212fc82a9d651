import { computed, onMounted, ref, shallowRef, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { dashboardApi } from '@/api/dashboard'
import type { Dashboard } from '@/api/types'
import { stackByDayAndModel, stackedBarOption } from '@/components/charts/chart-options'
import { daysBetween, lastDays, rangeQuery, type DayRange } from '@/utils/date-range'
import { formatCost, formatTokens, toNumber } from '@/utils/number-format'

export const DEFAULT_DAYS = 30

/** Training job states in the order a job goes through them; unknown states follow. */
export const TRAINING_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled']

export function trainingEntries(byState: Record<string, number>): { state: string; count: number }[] {
  const rank = (state: string) => {
    const i = TRAINING_STATES.indexOf(state)
    return i === -1 ? TRAINING_STATES.length : i
  }
  return Object.entries(byState)
    .map(([state, count]) => ({ state, count }))
    .sort((a, b) => rank(a.state) - rank(b.state) || a.state.localeCompare(b.state))
}

export function useDashboard() {
  const { locale } = useI18n()
  const range = ref<DayRange>(lastDays(DEFAULT_DAYS))
  const data = shallowRef<Dashboard | null>(null)
  const loading = ref(false)
  let latest = 0

  async function load(): Promise<void> {
    const ticket = ++latest
    loading.value = true
    try {
      const result = await dashboardApi.get(rangeQuery(range.value))
      if (ticket === latest) data.value = result
    } catch {
      // The request client already showed the error; the previous numbers stay visible.
    } finally {
      if (ticket === latest) loading.value = false
    }
  }

  watch(range, load)
  onMounted(load)

  const days = computed(() => daysBetween(range.value[0], range.value[1]))
  const hasUsage = computed(() => (data.value?.totals.calls ?? 0) > 0)

  const tokensChart = computed(() => {
    if (!data.value) return null
    const current = locale.value
    const stacked = stackByDayAndModel(
      data.value.by_day_and_model,
      days.value,
      (row) => row.input_tokens + row.output_tokens,
    )
    return stackedBarOption(stacked, (v) => formatTokens(v, current))
  })

  const costChart = computed(() => {
    if (!data.value) return null
    const current = locale.value
    const stacked = stackByDayAndModel(data.value.by_day_and_model, days.value, (row) => toNumber(row.cost))
    return stackedBarOption(stacked, (v) => formatCost(v, current))
  })

  const training = computed(() => trainingEntries(data.value?.training_jobs_by_state ?? {}))

  /** The slowest median time to first token, to scale the providers' TTFT bars. */
  const maxTtft = computed(() => Math.max(0, ...(data.value?.providers ?? []).map((p) => p.median_ttft_ms ?? 0)))

  return { range, data, loading, load, days, hasUsage, tokensChart, costChart, training, maxTtft }
}
