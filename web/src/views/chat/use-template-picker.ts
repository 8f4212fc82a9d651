import { computed, ref, shallowRef, watch } from 'vue'
import { ApiError } from '@/api/http'
import { promptPickerApi } from '@/api/prompt-picker'
import type { PromptTemplateRead } from '@/api/types'
import { errorMessage } from '@/utils/errors'

export type ApplyMode = 'system' | 'message'

const SEARCH_DEBOUNCE_MS = 300

/** Variable names an API error blames (`details.variables`), for highlighting their fields. */
export function blamedVariables(error: unknown): string[] {
  if (!(error instanceof ApiError)) return []
  const details = error.details as { variables?: unknown } | null
  return Array.isArray(details?.variables) ? details.variables.filter((v): v is string => typeof v === 'string') : []
}

/** The chat page's template picker: search, pick, fill the variables, render. */
export function useTemplatePicker() {
  const query = ref('')
  const templates = shallowRef<PromptTemplateRead[]>([])
  const loading = ref(false)
  const selected = shallowRef<PromptTemplateRead | null>(null)
  const values = ref<Record<string, string>>({})
  /** The server's refusal, shown inline above the form. */
  const error = ref<string | null>(null)
  const invalid = ref<string[]>([])
  const applying = ref(false)
  let ticket = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  async function search(): Promise<void> {
    const mine = ++ticket
    loading.value = true
    try {
      const page = await promptPickerApi.search(query.value.trim() || undefined)
      if (mine === ticket) templates.value = page.items
    } catch {
      if (mine === ticket) templates.value = []
    } finally {
      if (mine === ticket) loading.value = false
    }
  }

  watch(query, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void search(), SEARCH_DEBOUNCE_MS)
  })

  function pick(template: PromptTemplateRead | null): void {
    selected.value = template
    values.value = Object.fromEntries((template?.variables ?? []).map((v) => [v.name, v.default ?? '']))
    error.value = null
    invalid.value = []
  }

  const variables = computed(() => selected.value?.variables ?? [])

  /** Render the picked template with the form's values; null (and an inline error) when refused. */
  async function render(): Promise<string | null> {
    const template = selected.value
    if (!template) return null
    applying.value = true
    error.value = null
    invalid.value = []
    try {
      const declared = new Set(template.variables.map((v) => v.name))
      const given = Object.fromEntries(Object.entries(values.value).filter(([name]) => declared.has(name)))
      const result = await promptPickerApi.render(template.id, given)
      return result.text
    } catch (err) {
      error.value = errorMessage(err)
      invalid.value = blamedVariables(err)
      return null
    } finally {
      applying.value = false
    }
  }

  function reset(): void {
    query.value = ''
    pick(null)
  }

  return { query, templates, loading, selected, values, variables, error, invalid, applying, search, pick, render, reset }
}
