import { onMounted, reactive, ref } from 'vue'
import { auditApi } from '@/api/audit'
import type { AuditEntryRead } from '@/api/types'
import { usePagedList } from '@/composables/use-paged-list'

export function useAudit() {
  const filters = reactive({ actor: '', action: '', range: null as [Date, Date] | null })
  const actions = ref<string[]>([])

  const list = usePagedList<AuditEntryRead>((page, pageSize) =>
    auditApi.list({
      actor: filters.actor.trim() || undefined,
      action: filters.action || undefined,
      since: filters.range?.[0].toISOString(),
      until: filters.range?.[1].toISOString(),
      page,
      page_size: pageSize,
    }),
  )

  function resetFilters(): Promise<void> {
    filters.actor = ''
    filters.action = ''
    filters.range = null
    return list.reload()
  }

  onMounted(async () => {
    await list.load()
    try {
      actions.value = await auditApi.actions()
    } catch {
      // The request client already showed the error; the action filter stays empty.
    }
  })

  return { filters, actions, resetFilters, ...list }
}
