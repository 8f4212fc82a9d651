import { onScopeDispose, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/http'
import { promptsApi } from '@/api/prompts'
import type { PreviewRequest } from '@/api/types'
import { problemVariables, templateErrorMessage } from './prompt-form'

export const PREVIEW_DELAY_MS = 400

export interface PreviewError {
  code: string
  message: string
  variables: string[]
}

/**
 * Live preview of an unsaved template: renders on the server (the same checks as saving) a
 * short while after the last change. Stale answers are dropped; errors are kept, not toasted.
 */
export function usePromptPreview(source: () => PreviewRequest, delay = PREVIEW_DELAY_MS) {
  const { t } = useI18n()
  const text = ref('')
  const error = ref<PreviewError | null>(null)
  const loading = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  let ticket = 0

  async function run(request: PreviewRequest): Promise<void> {
    const mine = ++ticket
    if (!request.body) {
      text.value = ''
      error.value = null
      loading.value = false
      return
    }
    loading.value = true
    try {
      const result = await promptsApi.preview(request, { toast: false })
      if (mine !== ticket) return
      text.value = result.text
      error.value = null
    } catch (err) {
      if (mine !== ticket) return
      error.value = {
        code: err instanceof ApiError ? err.code : 'client_error',
        message: templateErrorMessage(err, t),
        variables: err instanceof ApiError ? problemVariables(err) : [],
      }
    } finally {
      if (mine === ticket) loading.value = false
    }
  }

  function schedule(request: PreviewRequest): void {
    clearTimeout(timer)
    loading.value = Boolean(request.body)
    timer = setTimeout(() => void run(request), delay)
  }

  /** Render now (skipping the wait). */
  function refresh(): Promise<void> {
    clearTimeout(timer)
    return run(source())
  }

  watch(
    () => JSON.stringify(source()),
    () => schedule(source()),
    { immediate: true },
  )

  onScopeDispose(() => {
    clearTimeout(timer)
    ticket++
  })

  return { text, error, loading, refresh }
}
