import { authorizedFetch, http, request, toApiError, type RequestOptions } from './http'
import type {
  BatchResultPage,
  BatchRunCreate,
  BatchRunDetail,
  BatchRunPage,
  BatchRunRead,
  BatchSetDetail,
  BatchSetPage,
  BatchSetRead,
} from './types'

export type BatchExportFormat = 'csv' | 'json'

/** One row of a test set built in the page; empty optional fields are left out. */
export interface BatchRowBody {
  prompt: string
  reference?: string
  system_prompt?: string
  tags?: string[]
}

export interface BatchSetBody {
  name: string
  rows: BatchRowBody[]
}

function filenameFrom(disposition: string | null, fallback: string): string {
  const match = disposition?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i)
  return match?.[1] ?? fallback
}

const BASE = '/api/batch-tests'

export const batchApi = {
  listSets: (page = 1, pageSize = 100) =>
    http.get<BatchSetPage>(`${BASE}/sets`, { query: { page, page_size: pageSize } }),
  getSet: (id: number, page = 1, pageSize = 20) =>
    http.get<BatchSetDetail>(`${BASE}/sets/${id}`, { query: { page, page_size: pageSize } }),
  /**
   * Upload a CSV or JSONL file (multipart). Rejects with the server's `ApiError`; a 422
   * `invalid_test_set` carries `details.errors` [{row, message}]. No toast: the page shows it.
   */
  async uploadSet(file: Blob, filename: string, name?: string): Promise<BatchSetRead> {
    const form = new FormData()
    form.append('file', file, filename)
    if (name) form.append('name', name)
    const res = await authorizedFetch(`${BASE}/sets`, { method: 'POST', body: form, headers: { Accept: 'application/json' } })
    if (!res.ok) throw await toApiError(res)
    return (await res.json()) as BatchSetRead
  },
  /** Create a set from rows built in the page. No toast: a 422 lists row-numbered problems. */
  createSet: (body: BatchSetBody) => http.post<BatchSetRead>(`${BASE}/sets`, body, { toast: false }),
  /** Rename a set and replace its rows (409 `test_set_has_runs` once it has runs). No toast. */
  replaceSet: (id: number, body: BatchSetBody) =>
    request<BatchSetRead>('PUT', `${BASE}/sets/${id}`, { body, toast: false }),
  deleteSet: (id: number) => http.delete(`${BASE}/sets/${id}`),
  listRuns: (page = 1, pageSize = 50, setId?: number) =>
    http.get<BatchRunPage>(`${BASE}/runs`, { query: { page, page_size: pageSize, set_id: setId } }),
  createRun: (body: BatchRunCreate, options?: RequestOptions) => http.post<BatchRunRead>(`${BASE}/runs`, body, options),
  getRun: (id: number, options?: RequestOptions) => http.get<BatchRunDetail>(`${BASE}/runs/${id}`, options),
  cancelRun: (id: number) => http.post<BatchRunRead>(`${BASE}/runs/${id}/cancel`),
  deleteRun: (id: number) => http.delete(`${BASE}/runs/${id}`),
  results: (id: number, page = 1, pageSize = 20) =>
    http.get<BatchResultPage>(`${BASE}/runs/${id}/results`, { query: { page, page_size: pageSize } }),
  exportPath: (id: number, format: BatchExportFormat) => `${BASE}/runs/${id}/export?format=${format}`,
  /** Fetch the export (an attachment) with the session's token, for a browser download. */
  async exportRun(id: number, format: BatchExportFormat): Promise<{ blob: Blob; filename: string }> {
    const res = await authorizedFetch(batchApi.exportPath(id, format))
    if (!res.ok) throw await toApiError(res)
    return { blob: await res.blob(), filename: filenameFrom(res.headers.get('content-disposition'), `batch-run-${id}.${format}`) }
  },
}
