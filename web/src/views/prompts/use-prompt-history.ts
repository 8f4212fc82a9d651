import { ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { promptsApi } from '@/api/prompts'
import type { PromptDiff, PromptVersionRead } from '@/api/types'
import { templateErrorMessage } from './prompt-form'

export const VERSIONS_PAGE_SIZE = 50

export type DiffMode = 'unified' | 'split'

/** Versions of one template (newest first), the diff of any two, and one version to look at. */
export function usePromptHistory(templateId: () => number | null) {
  const { t } = useI18n()
  const versions = shallowRef<PromptVersionRead[]>([])
  const total = ref(0)
  const loading = ref(false)
  const loaded = ref(false)
  let page = 1
  let ticket = 0

  const from = ref<number | null>(null)
  const to = ref<number | null>(null)
  const mode = ref<DiffMode>('unified')
  const diff = shallowRef<PromptDiff | null>(null)
  const diffLoading = ref(false)
  const diffError = ref('')
  let diffTicket = 0

  const viewed = shallowRef<PromptVersionRead | null>(null)
  const viewing = ref(false)

  async function fetchPage(next: number): Promise<void> {
    const id = templateId()
    if (id === null) return
    const mine = ++ticket
    loading.value = true
    try {
      const result = await promptsApi.versions(id, { page: next, page_size: VERSIONS_PAGE_SIZE })
      if (mine !== ticket) return
      versions.value = next === 1 ? result.items : [...versions.value, ...result.items]
      total.value = result.total
      page = next
      loaded.value = true
    } catch {
      // The request client already showed the error.
    } finally {
      if (mine === ticket) loading.value = false
    }
  }

  /** Reload from the newest version; by default compare the newest with the one before it. */
  async function reload(currentVersion?: number): Promise<void> {
    await fetchPage(1)
    const newest = currentVersion ?? versions.value[0]?.version ?? null
    if (newest === null) return
    to.value = newest
    from.value = Math.max(1, newest - 1)
    diff.value = null
    if (newest > 1) await compare()
  }

  function loadMore(): Promise<void> {
    return fetchPage(page + 1)
  }

  async function compare(older = from.value, newer = to.value): Promise<void> {
    const id = templateId()
    if (id === null || older === null || newer === null) return
    from.value = older
    to.value = newer
    const mine = ++diffTicket
    diffLoading.value = true
    diffError.value = ''
    try {
      const result = await promptsApi.diff(id, { from_version: older, to_version: newer }, { toast: false })
      if (mine === diffTicket) diff.value = result
    } catch (error) {
      if (mine === diffTicket) {
        diff.value = null
        diffError.value = templateErrorMessage(error, t)
      }
    } finally {
      if (mine === diffTicket) diffLoading.value = false
    }
  }

  async function view(version: number): Promise<void> {
    const id = templateId()
    if (id === null) return
    viewing.value = true
    try {
      viewed.value = await promptsApi.version(id, version)
    } catch {
      viewed.value = null
    } finally {
      viewing.value = false
    }
  }

  return {
    versions,
    total,
    loading,
    loaded,
    reload,
    loadMore,
    from,
    to,
    mode,
    diff,
    diffLoading,
    diffError,
    compare,
    viewed,
    viewing,
    view,
  }
}
