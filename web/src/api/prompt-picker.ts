import { http } from './http'
import type { PromptTemplatePage, RenderResult } from './types'

/** The read-only part of the prompt library that the chat page's template picker needs. */
export const promptPickerApi = {
  search: (q?: string) => http.get<PromptTemplatePage>('/api/prompts', { query: { q, page_size: 50 } }),
  /** Errors (e.g. 422 `missing_variable`) are shown inline by the picker, not as toasts. */
  render: (id: number, values: Record<string, string>) =>
    http.post<RenderResult>(`/api/prompts/${id}/render`, { values }, { toast: false }),
}
