import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source'
import { ApiError, authorizedFetch, http, toApiError } from './http'
import type {
  ChatMessageRead,
  ChatSendMessage,
  ChatSessionCreate,
  ChatSessionDetail,
  ChatSessionRead,
  ChatSessionUpdate,
} from './types'

export type ExportFormat = 'markdown' | 'json'

/** The named events of one streamed answer (see `llmforge/chat/streaming.py`). */
export type ChatStreamEvent =
  | { event: 'message'; data: { user_message: ChatMessageRead | null; assistant_message_id: number } }
  | { event: 'context'; data: { omitted_messages: number } }
  | { event: 'sources'; data: { sources: NonNullable<ChatMessageRead['sources']> } }
  | { event: 'reasoning'; data: { text: string } }
  | { event: 'content'; data: { text: string } }
  | { event: 'usage'; data: { input_tokens: number; output_tokens: number; estimated: boolean } }
  | { event: 'error'; data: { code: string; message: string } }
  | { event: 'done'; data: { message: ChatMessageRead } }

const STREAM_EVENTS = new Set<string>(['message', 'context', 'sources', 'reasoning', 'content', 'usage', 'error', 'done'])

/** What starts a streamed answer: a new message, a regenerated answer, or an edited message. */
export type StreamRequest =
  | { kind: 'send'; sessionId: number; body: ChatSendMessage }
  | { kind: 'regenerate'; messageId: number; body: { model_id?: number | null } }
  | { kind: 'edit'; messageId: number; body: { content: string } }

export function streamPath(request: StreamRequest): string {
  switch (request.kind) {
    case 'send':
      return `/api/chat/sessions/${request.sessionId}/messages`
    case 'regenerate':
      return `/api/chat/messages/${request.messageId}/regenerate`
    case 'edit':
      return `/api/chat/messages/${request.messageId}/edit`
  }
}

/** Thrown out of the stream handler to stop fetch-event-source from retrying (a retry would post again). */
class StopStream extends Error {}

export function parseStreamEvent(message: EventSourceMessage): ChatStreamEvent | null {
  // Keep-alive comments arrive as nameless, empty messages; unknown events are ignored.
  if (!STREAM_EVENTS.has(message.event) || !message.data) return null
  return { event: message.event, data: JSON.parse(message.data) } as ChatStreamEvent
}

/**
 * POST and read the answer as Server-Sent Events. Resolves when the stream ends or `signal`
 * aborts; rejects with an `ApiError` when the server refuses before streaming (4xx JSON
 * error) or the connection fails. Never retries: each attempt would store a new message.
 */
export async function streamChat(
  request: StreamRequest,
  onEvent: (event: ChatStreamEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let failure: unknown = null
  await fetchEventSource(streamPath(request), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(request.body),
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
      const event = parseStreamEvent(message)
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

function filenameFrom(disposition: string | null, fallback: string): string {
  const match = disposition?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i)
  if (!match?.[1]) return fallback
  try {
    return decodeURIComponent(match[1])
  } catch {
    return match[1]
  }
}

export const chatApi = {
  listSessions: (q?: string) => http.get<ChatSessionRead[]>('/api/chat/sessions', { query: { q } }),
  createSession: (body: Partial<ChatSessionCreate> = {}) => http.post<ChatSessionRead>('/api/chat/sessions', body),
  getSession: (id: number) => http.get<ChatSessionDetail>(`/api/chat/sessions/${id}`),
  updateSession: (id: number, body: ChatSessionUpdate) =>
    http.patch<ChatSessionRead>(`/api/chat/sessions/${id}`, body),
  deleteSession: (id: number) => http.delete(`/api/chat/sessions/${id}`),
  switchVariant: (sessionId: number, messageId: number) =>
    http.post<ChatSessionDetail>(`/api/chat/sessions/${sessionId}/switch`, { message_id: messageId }),
  deleteMessage: (id: number) => http.delete(`/api/chat/messages/${id}`),
  /** Fetch the export (an attachment) and hand it to the browser as a download. */
  async exportSession(id: number, format: ExportFormat): Promise<{ blob: Blob; filename: string }> {
    const res = await authorizedFetch(`/api/chat/sessions/${id}/export?format=${format}`)
    if (!res.ok) throw await toApiError(res)
    const fallback = `chat-${id}.${format === 'markdown' ? 'md' : 'json'}`
    return { blob: await res.blob(), filename: filenameFrom(res.headers.get('content-disposition'), fallback) }
  },
}
