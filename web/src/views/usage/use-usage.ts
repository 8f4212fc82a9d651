import { computed, onMounted, ref, shallowRef, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import type { MyUsage } from '@/api/types'
import { usageApi } from '@/api/usage'
import { dailyLineOption, dailyValues, stackByDayAndModel, stackedBarOption } from '@/components/charts/chart-options'
import { daysBetween, lastDays, rangeQuery, type DayRange } from '@/utils/date-range'
import { budgetPercent, formatCost, formatTokens, toNumber } from '@/utils/number-format'

export const DEFAULT_DAYS = 30

export function useUsage() {
  const { t, locale } = useI18n()
  const range = ref<DayRange>(lastDays(DEFAULT_DAYS))
  const data = shallowRef<MyUsage | null>(null)
  const loading = ref(false)
  let latest = 0

  async function load(): Promise<void> {
    const ticket = ++latest
    loading.value = true
    try {
      const result = await usageApi.me(rangeQuery(range.value))
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
  const isEmpty = computed(() => data.value !== null && data.value.totals.calls === 0)

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
    const daily = dailyValues(data.value.by_day, days.value, (row) => toNumber(row.cost))
    return dailyLineOption(daily, t('usage.cost'), (v) => formatCost(v, current))
  })

  const budget = computed(() => {
    const b = data.value?.budget
    if (!b) return null
    return {
      ...b,
      tokenPercent: budgetPercent(b.tokens_used, b.token_limit),
      costPercent: budgetPercent(b.cost_used, b.cost_limit),
    }
  })

  return { range, data, loading, load, days, isEmpty, tokensChart, costChart, budget }
}
