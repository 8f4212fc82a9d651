import { ElMessage, ElMessageBox } from 'element-plus'
import { onMounted, onScopeDispose, reactive, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { promptsApi } from '@/api/prompts'
import type { PromptScope, PromptTemplateRead } from '@/api/types'
import { usePagedList } from '@/composables/use-paged-list'

export const SEARCH_DELAY_MS = 300
export const SCOPES: PromptScope[] = ['all', 'mine', 'shared']

export function usePromptLibrary() {
  const { t } = useI18n()
  const filters = reactive({ q: '', category: '', tag: '', scope: 'all' as PromptScope })
  const categories = ref<string[]>([])
  const tags = ref<string[]>([])
  let searchTimer: ReturnType<typeof setTimeout> | undefined

  const list = usePagedList<PromptTemplateRead>((page, pageSize) =>
    promptsApi.list({
      q: filters.q.trim() || undefined,
      category: filters.category || undefined,
      tag: filters.tag || undefined,
      scope: filters.scope,
      page,
      page_size: pageSize,
    }),
  )

  async function loadFacets(): Promise<void> {
    try {
      const [categoryList, tagList] = await Promise.all([promptsApi.categories(), promptsApi.tags()])
      categories.value = categoryList
      tags.value = tagList
    } catch {
      // The request client already showed the error; the filters stay as they were.
    }
  }

  watch(
    () => filters.q,
    () => {
      clearTimeout(searchTimer)
      searchTimer = setTimeout(() => void list.reload(), SEARCH_DELAY_MS)
    },
  )
  watch(
    () => [filters.category, filters.tag, filters.scope],
    () => {
      clearTimeout(searchTimer)
      void list.reload()
    },
  )
  onScopeDispose(() => clearTimeout(searchTimer))

  function searchNow(): Promise<void> {
    clearTimeout(searchTimer)
    return list.reload()
  }

  function resetFilters(): void {
    filters.q = ''
    filters.category = ''
    filters.tag = ''
  }

  async function remove(template: PromptTemplateRead): Promise<boolean> {
    try {
      await ElMessageBox.confirm(t('prompts.deleteConfirm', { name: template.name }), t('prompts.deleteTitle'), {
        type: 'warning',
        confirmButtonText: t('common.delete'),
        cancelButtonText: t('common.cancel'),
      })
    } catch {
      return false
    }
    try {
      await promptsApi.remove(template.id)
      ElMessage.success(t('prompts.deleted', { name: template.name }))
    } catch {
      return false
    }
    if (list.items.value.length === 1 && list.page.value > 1) list.page.value--
    await Promise.all([list.load(), loadFacets()])
    return true
  }

  /** A private copy of a template (of one's own or a shared one); returns the copy. */
  async function duplicate(template: PromptTemplateRead): Promise<PromptTemplateRead | null> {
    try {
      const copy = await promptsApi.create({
        name: t('prompts.copyName', { name: template.name }).slice(0, 200),
        description: template.description,
        category: template.category,
        tags: template.tags,
        body: template.body,
        variables: template.variables,
        shared: false,
      })
      ElMessage.success(t('prompts.duplicated', { name: copy.name }))
      return copy
    } catch {
      return null
    }
  }

  onMounted(() => {
    void list.load()
    void loadFacets()
  })

  return { filters, categories, tags, loadFacets, searchNow, resetFilters, remove, duplicate, ...list }
}
