import { i18n } from '@/i18n'
import { ApiError, getAccessToken, http, refreshSession } from './http'
import type { components } from './schema'

type Schemas = components['schemas']
export type DatasetRead = Schemas['DatasetRead']
export type DatasetDetail = Schemas['DatasetDetail']
export type DatasetStats = Schemas['DatasetStats']
export type DatasetRecord = Schemas['RecordRead']
export type DatasetPage = Schemas['Page_DatasetRead_']
export type DatasetRecordPage = Schemas['Page_RecordRead_']
export type DatasetFormat = 'auto' | 'alpaca' | 'sharegpt' | 'openai'

export interface DatasetUploadParams {
  filename: string
  name?: string
  description?: string
  format: DatasetFormat
  split_percent: number
  split_seed: number
  cutoff_len: number
  base_model_path?: string
}

/** One bad record of a refused upload (422 `invalid_dataset`). */
export interface DatasetLineError {
  line: number
  message: string
}

const BASE = '/api/datasets'

function uploadUrl(params: DatasetUploadParams): string {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.append(key, String(value))
  }
  return `${BASE}?${query.toString()}`
}

function errorOf(xhr: XMLHttpRequest): ApiError {
  try {
    const data = JSON.parse(xhr.responseText) as Partial<{ code: string; message: string; details: unknown }>
    if (typeof data.code === 'string' && typeof data.message === 'string') {
      return new ApiError(xhr.status, data.code, data.message, data.details ?? null)
    }
  } catch {
    // Not a JSON error body: fall through to a generic error.
  }
  return new ApiError(xhr.status, 'http_error', i18n.global.t('errors.http', { status: xhr.status }))
}

function send(
  file: Blob,
  url: string,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', url)
    const token = getAccessToken()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total)
    }
    xhr.onload = () => resolve(xhr)
    xhr.onerror = () => reject(new ApiError(0, 'network_error', i18n.global.t('errors.network')))
    xhr.onabort = () => reject(new ApiError(0, 'aborted', i18n.global.t('datasets.upload.aborted')))
    signal?.addEventListener('abort', () => xhr.abort())
    xhr.send(file)
  })
}

export const datasetsApi = {
  list: (page = 1, pageSize = 20) => http.get<DatasetPage>(BASE, { query: { page, page_size: pageSize } }),
  get: (id: number) => http.get<DatasetDetail>(`${BASE}/${id}`),
  stats: (id: number, cutoffLen?: number) =>
    http.get<DatasetStats>(`${BASE}/${id}/stats`, { query: { cutoff_len: cutoffLen } }),
  records: (id: number, page = 1, pageSize = 20) =>
    http.get<DatasetRecordPage>(`${BASE}/${id}/records`, { query: { page, page_size: pageSize } }),
  /** Refused (409 `dataset_in_use` / `dataset_has_jobs`) while training jobs use it. */
  remove: (id: number) => http.delete(`${BASE}/${id}`),
  /**
   * Upload the file itself as the body (XMLHttpRequest, for upload progress), with the bearer
   * token; a 401 renews the session once and sends again. Rejects with the server's ApiError
   * (a 422 `invalid_dataset` carries `details.errors` [{line, message}] and `details.error_count`).
   * No toast: the page shows the report.
   */
  async upload(
    file: Blob,
    params: DatasetUploadParams,
    onProgress: (fraction: number) => void = () => {},
    signal?: AbortSignal,
  ): Promise<DatasetDetail> {
    const url = uploadUrl(params)
    let xhr = await send(file, url, onProgress, signal)
    if (xhr.status === 401 && (await refreshSession())) xhr = await send(file, url, onProgress, signal)
    if (xhr.status !== 201) throw errorOf(xhr)
    return JSON.parse(xhr.responseText) as DatasetDetail
  },
}
