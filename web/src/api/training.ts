import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source'
import { ApiError, authorizedFetch, http, toApiError, type RequestOptions } from './http'
import type { components } from './schema'

type Schemas = components['schemas']

export type JobRead = Schemas['JobRead']
export type JobDetail = Schemas['JobDetail']
export type JobCreate = Schemas['JobCreate']
export type JobPreview = Schemas['JobPreview']
export type JobPage = Schemas['Page_JobRead_']
export type JobStatus = Schemas['JobStatus']
export type CancelMode = Schemas['CancelMode']
export type TrainingMethod = Schemas['Method']
export type Hyperparameters = Schemas['Hyperparameters']
export type TrainingOptions = Schemas['TrainingOptions']
export type TrainingPreset = Schemas['TrainingPreset']
export type TrainingReport = Schemas['TrainingReport']
export type JobEvaluation = Schemas['EvaluationRead']
export type MetricPoint = Schemas['MetricRead']
export type LogLine = Schemas['LogLineRead']
export type LogPage = Schemas['Page_LogLineRead_']
export type JobTransition = Schemas['TransitionRead']
export type TrainingDatasetRead = Schemas['DatasetRead']
export type TrainingDatasetPage = Schemas['Page_DatasetRead_']

/** The named events of a job's stream (see `llmforge/training/events.py`). */
export type JobEvent =
  | { event: 'job'; data: JobRead }
  | { event: 'transition'; data: JobTransition }
  | { event: 'log'; data: { lines: LogLine[] } }
  | { event: 'metric'; data: { points: MetricPoint[] } }
  | { event: 'end'; data: { status?: JobStatus; reason?: string } }

const EVENTS = new Set(['job', 'transition', 'log', 'metric', 'end'])
const BASE = '/api/training'

export function parseJobEvent(message: EventSourceMessage): JobEvent | null {
  if (!EVENTS.has(message.event) || !message.data) return null
  return { event: message.event, data: JSON.parse(message.data) } as JobEvent
}

/** Offsets to resume a stream from: the last log line's seq and the last metric point's id. */
export interface StreamOffsets {
  logAfter: number
  metricAfter: number
}

class StopStream extends Error {}

/**
 * Follow a job's events until it is final (`end`) or `signal` aborts. `offsets` is read on every
 * (re)connection, so a dropped connection resumes where the page is. Rejects with an `ApiError`
 * when the server refuses (a 404 for a job that is not yours).
 */
export async function followJob(
  jobId: number,
  offsets: () => StreamOffsets,
  onEvent: (event: JobEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let failure: unknown = null
  let ended = false
  const url = () => {
    const { logAfter, metricAfter } = offsets()
    return `${BASE}/jobs/${jobId}/events?log_after=${logAfter}&metric_after=${metricAfter}`
  }
  while (!ended && !signal.aborted && !failure) {
    await fetchEventSource(url(), {
      headers: { accept: 'text/event-stream' },
      signal,
      openWhenHidden: true,
      fetch: authorizedFetch,
      async onopen(res) {
        const type = res.headers.get('content-type') ?? ''
        if (res.ok && type.startsWith('text/event-stream')) return
        failure = res.ok ? new ApiError(res.status, 'not_a_stream', type) : await toApiError(res)
        throw new StopStream()
      },
      onmessage(message) {
        const event = parseJobEvent(message)
        if (!event) return
        if (event.event === 'end') ended = true
        onEvent(event)
      },
      onclose() {
        throw new StopStream() // reconnect with fresh offsets (the loop), never blindly
      },
      onerror() {
        throw new StopStream()
      },
    }).catch((err: unknown) => {
      if (!(err instanceof StopStream) && !signal.aborted) failure = err
    })
    if (!ended && !signal.aborted && !failure) await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  if (failure && !signal.aborted) {
    throw failure instanceof ApiError ? failure : new ApiError(0, 'stream_error', String(failure))
  }
}

function filenameFrom(disposition: string | null, fallback: string): string {
  const match = disposition?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i)
  return match?.[1] ?? fallback
}

async function download(path: string, fallback: string): Promise<{ blob: Blob; filename: string }> {
  const res = await authorizedFetch(path)
  if (!res.ok) throw await toApiError(res)
  return { blob: await res.blob(), filename: filenameFrom(res.headers.get('content-disposition'), fallback) }
}

export const trainingApi = {
  options: () => http.get<TrainingOptions>(`${BASE}/options`),
  datasets: () => http.get<TrainingDatasetPage>('/api/datasets', { query: { page: 1, page_size: 200 } }),
  list: (page = 1, pageSize = 20, status?: JobStatus, options?: RequestOptions) =>
    http.get<JobPage>(`${BASE}/jobs`, { ...options, query: { page, page_size: pageSize, status } }),
  /** No toast: the wizard shows the problem next to the form. */
  preview: (body: JobCreate) => http.post<JobPreview>(`${BASE}/jobs/preview`, body, { toast: false }),
  create: (body: JobCreate) => http.post<JobDetail>(`${BASE}/jobs`, body, { toast: false }),
  get: (id: number, options?: RequestOptions) => http.get<JobDetail>(`${BASE}/jobs/${id}`, options),
  cancel: (id: number, mode: CancelMode) => http.post<JobDetail>(`${BASE}/jobs/${id}/cancel`, { mode }),
  remove: (id: number) => http.delete(`${BASE}/jobs/${id}`),
  retry: (id: number) => http.post<JobDetail>(`${BASE}/jobs/${id}/retry`),
  resume: (id: number) => http.post<JobDetail>(`${BASE}/jobs/${id}/resume`),
  metrics: (id: number) => http.get<MetricPoint[]>(`${BASE}/jobs/${id}/metrics`),
  transitions: (id: number) => http.get<JobTransition[]>(`${BASE}/jobs/${id}/transitions`),
  logs: (id: number, page = 1, pageSize = 200, q?: string) =>
    http.get<LogPage>(`${BASE}/jobs/${id}/logs`, { query: { page, page_size: pageSize, q } }),
  report: (id: number) => http.get<TrainingReport>(`${BASE}/jobs/${id}/report`),
  downloadLogs: (id: number) => download(`${BASE}/jobs/${id}/logs/download`, `training-job-${id}.log`),
  downloadReport: (id: number) => download(`${BASE}/jobs/${id}/report.md`, `training-job-${id}-report.md`),
  evaluation: (id: number) => http.get<JobEvaluation>(`${BASE}/jobs/${id}/evaluation`),
  evaluate: (id: number) => http.post<JobEvaluation>(`${BASE}/jobs/${id}/evaluation`),
}
