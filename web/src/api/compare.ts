import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source'
import { ApiError, authorizedFetch, http, toApiError, type RequestOptions } from './http'
import type {
  ChatSessionRead,
  CompareCreate,
  CompareLaneRead,
  ComparePage,
  CompareRunRead,
  ModelParameters,
} from './types'

/** What starts a comparison; per-lane parameters are optional (the model's defaults apply). */
export type CompareStartBody = Omit<CompareCreate, 'lanes'> & {
  lanes: ({ model_id: number; parameters?: Partial<ModelParameters> } | { dify_app_id: number })[]
}

export interface CompareVoteBody {
  winner_lane_id?: number | null
  ratings?: Record<string, number>
}

/** The named events of one comparison stream (see `llmforge/compare/streaming.py`). */
export type CompareStreamEvent =
  | { event: 'run'; data: { run: CompareRunRead } }
  | { event: 'reasoning'; data: { lane_id: number; text: string } }
  | { event: 'content'; data: { lane_id: number; text: string } }
  | { event: 'usage'; data: { lane_id: number; input_tokens: number; output_tokens: number; estimated: boolean } }
  | { event: 'error'; data: { lane_id?: number; code: string; message: string } }
  | { event: 'lane_done'; data: { lane_id?: number; lane: CompareLaneRead } }
  | { event: 'done'; data: { run: CompareRunRead | null } }

const STREAM_EVENTS = new Set<string>(['run', 'reasoning', 'content', 'usage', 'error', 'lane_done', 'done'])

/** A new comparison, or a rerun of a stored one. */
export type CompareStreamRequest = { kind: 'start'; body: CompareStartBody } | { kind: 'rerun'; runId: number }

export function compareStreamPath(request: CompareStreamRequest): string {
  return request.kind === 'start' ? '/api/compare' : `/api/compare/${request.runId}/rerun`
}

export function parseCompareEvent(message: EventSourceMessage): CompareStreamEvent | null {
  // Keep-alive comments arrive as nameless, empty messages; unknown events are ignored.
  if (!STREAM_EVENTS.has(message.event) || !message.data) return null
  return { event: message.event, data: JSON.parse(message.data) } as CompareStreamEvent
}

class StopStream extends Error {}

/**
 * POST and read the lanes' answers as Server-Sent Events (one stream multiplexing every lane).
 * Resolves when the stream ends or `signal` aborts; rejects with an `ApiError` when the
 * server refuses before streaming. Never retries: a retry would start another run.
 */
export async function streamCompare(
  request: CompareStreamRequest,
  onEvent: (event: CompareStreamEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let failure: unknown = null
  await fetchEventSource(compareStreamPath(request), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: request.kind === 'start' ? JSON.stringify(request.body) : undefined,
    signal,
    openWhenHidden: true,
    fetch: authorizedFetch,
    async onopen(res) {
      const type = res.headers.get('content-type') ?? ''
      if (res.ok && type.startsWith('text/event-stream')) return
      failure = res.ok
        ? new ApiError(res.status, 'not_a_stream', `Expected an event stream, got ${type || 'nothing'}.`)
        : await toApiError(res)
      throw new StopStream()
    },
    onmessage(message) {
      const event = parseCompareEvent(message)
      if (event) onEvent(event)
    },
    onerror(err) {
      failure ??= err
      throw new StopStream()
    },
  }).catch((err: unknown) => {
    if (!(err instanceof StopStream)) failure ??= err
  })
  if (failure && !signal.aborted) {
    throw failure instanceof ApiError ? failure : new ApiError(0, 'stream_error', String(failure))
  }
}

export const compareApi = {
  list: (page = 1, pageSize = 20) =>
    http.get<ComparePage>('/api/compare', { query: { page, page_size: pageSize } }),
  get: (id: number) => http.get<CompareRunRead>(`/api/compare/${id}`),
  remove: (id: number) => http.delete(`/api/compare/${id}`),
  stop: (id: number, options?: RequestOptions) => http.post<void>(`/api/compare/${id}/stop`, undefined, options),
  stopLane: (id: number, laneId: number, options?: RequestOptions) =>
    http.post<void>(`/api/compare/${id}/lanes/${laneId}/stop`, undefined, options),
  vote: (id: number, body: CompareVoteBody) => http.post<CompareRunRead>(`/api/compare/${id}/vote`, body),
  reveal: (id: number) => http.post<CompareRunRead>(`/api/compare/${id}/reveal`),
  continueLane: (id: number, laneId: number) =>
    http.post<ChatSessionRead>(`/api/compare/${id}/lanes/${laneId}/continue`),
}
