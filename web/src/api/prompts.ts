import { http } from './http'
import type { RequestOptions } from './http'
import type {
  PreviewRequest,
  PromptDiff,
  PromptScope,
  PromptTemplateCreate,
  PromptTemplatePage,
  PromptTemplateRead,
  PromptTemplateUpdate,
  PromptVersionPage,
  PromptVersionRead,
  RenderResult,
} from './types'

export interface PromptQuery {
  q?: string
  category?: string
  tag?: string
  scope?: PromptScope
  page?: number
  page_size?: number
}

export interface PageQuery {
  page?: number
  page_size?: number
}

export interface DiffQuery {
  from_version?: number
  to_version?: number
}

export const promptsApi = {
  list: (query: PromptQuery = {}) => http.get<PromptTemplatePage>('/api/prompts', { query: { ...query } }),
  categories: () => http.get<string[]>('/api/prompts/categories'),
  tags: () => http.get<string[]>('/api/prompts/tags'),
  get: (id: number, options?: RequestOptions) => http.get<PromptTemplateRead>(`/api/prompts/${id}`, options),
  create: (body: PromptTemplateCreate, options?: RequestOptions) =>
    http.post<PromptTemplateRead>('/api/prompts', body, options),
  update: (id: number, body: PromptTemplateUpdate, options?: RequestOptions) =>
    http.patch<PromptTemplateRead>(`/api/prompts/${id}`, body, options),
  remove: (id: number) => http.delete(`/api/prompts/${id}`),
  versions: (id: number, query: PageQuery = {}) =>
    http.get<PromptVersionPage>(`/api/prompts/${id}/versions`, { query: { ...query } }),
  version: (id: number, version: number) => http.get<PromptVersionRead>(`/api/prompts/${id}/versions/${version}`),
  diff: (id: number, query: DiffQuery = {}, options?: RequestOptions) =>
    http.get<PromptDiff>(`/api/prompts/${id}/diff`, { ...options, query: { ...query } }),
  restore: (id: number, version: number) => http.post<PromptTemplateRead>(`/api/prompts/${id}/restore/${version}`),
  render: (id: number, values: Record<string, string>, options?: RequestOptions) =>
    http.post<RenderResult>(`/api/prompts/${id}/render`, { values }, options),
  preview: (body: PreviewRequest, options?: RequestOptions) =>
    http.post<RenderResult>('/api/prompts/preview', body, options),
}
