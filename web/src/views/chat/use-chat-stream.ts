import { reactive, readonly, ref, type Ref } from 'vue'
import { streamChat, type ChatStreamEvent, type StreamRequest } from '@/api/chat'
import type { ChatMessageRead, ChatMessageRole, ChatSessionDetail } from '@/api/types'
import { errorMessage } from '@/utils/errors'

let nextDraftId = -1

/** A message that exists only in the browser until the server names it (negative id). */
export function draftMessage(role: ChatMessageRole, fields: Partial<ChatMessageRead> = {}): ChatMessageRead {
  return {
    id: nextDraftId--,
    parent_id: null,
    role,
    content: '',
    reasoning: '',
    status: role === 'assistant' ? 'streaming' : 'complete',
    error: null,
    model_id: null,
    model_name: null,
    provider_name: null,
    ttft_ms: null,
    latency_ms: null,
    reasoning_ms: null,
    input_tokens: null,
    output_tokens: null,
    tokens_estimated: false,
    cost: null,
    finish_reason: null,
    omitted_messages: 0,
    created_at: new Date().toISOString(),
    variant_ids: [],
    ...fields,
  }
}

export function isDraft(message: Pick<ChatMessageRead, 'id'>): boolean {
  return message.id < 0
}

export interface ChatStreamOptions {
  /** The branch on screen; the stream appends to (and replaces in) it. */
  messages: Ref<ChatMessageRead[]>
  /** Fetch the session's stored state (not applied yet). */
  load: () => Promise<ChatSessionDetail>
  /** Show a loaded state. */
  apply: (detail: ChatSessionDetail) => void
  /** After every turn, however it ended (titles and order in the session list may change). */
  onSettled?: () => void
  /** Injected in tests. */
  stream?: typeof streamChat
  /** Pauses between reloads while the server has not yet saved a stopped answer. */
  settleDelays?: number[]
}

export interface TurnOptions {
  /** The model for this answer (default: the session's). */
  modelId?: number | null
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * One streamed answer at a time. Tokens are appended to the streaming message's own reactive
 * strings, so only that message re-renders per token. Stop aborts the request; the server then
 * saves the partial answer as `interrupted`, and the session is reloaded to show what it stored.
 */
export function useChatStream(options: ChatStreamOptions) {
  const stream = options.stream ?? streamChat
  const settleDelays = options.settleDelays ?? [150, 300, 600, 1000, 1500]
  const streaming = ref(false)
  /** Older turns the server left out of the context for the latest answer. */
  const omitted = ref(0)
  let controller: AbortController | null = null
  let reloadOnAbort = true
  /** Counts runs, so a reload after an older run never overwrites a newer run's messages. */
  let generation = 0

  async function settle(answerId: number, run: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let detail: ChatSessionDetail
      try {
        detail = await options.load()
      } catch {
        return // The request client already showed the error; keep what is on screen.
      }
      if (run !== generation) return
      const answer = detail.messages.find((m) => m.id === answerId)
      if (answer?.status !== 'streaming' || attempt >= settleDelays.length) {
        options.apply(detail)
        return
      }
      await sleep(settleDelays[attempt]!)
    }
  }

  /**
   * Show `kept` + the drafts, stream into them, and end with the stored messages. Rejects (and
   * restores the previous list) when the server refuses before the stream starts, e.g. a 4xx.
   */
  async function run(request: StreamRequest, kept: ChatMessageRead[], userDraft: ChatMessageRead | null, parentId: number | null): Promise<void> {
    if (streaming.value) throw new Error('A reply is still being written.')
    const before = options.messages.value
    const assistant = reactive(draftMessage('assistant', { parent_id: userDraft?.id ?? parentId }))
    options.messages.value = [...kept, ...(userDraft ? [userDraft] : []), assistant]
    omitted.value = 0
    streaming.value = true
    reloadOnAbort = true
    const runNumber = ++generation
    const ctrl = new AbortController()
    controller = ctrl
    let started = false
    let done = false
    let reasoningStarted: number | null = null

    const replace = (id: number, message: ChatMessageRead) => {
      const list = options.messages.value
      const index = list.findIndex((m) => m.id === id)
      if (index !== -1) list.splice(index, 1, message)
    }

    const handle = (event: ChatStreamEvent) => {
      started = true
      switch (event.event) {
        case 'message':
          if (event.data.user_message && userDraft) {
            replace(userDraft.id, event.data.user_message)
            assistant.parent_id = event.data.user_message.id
          }
          assistant.id = event.data.assistant_message_id
          break
        case 'context':
          omitted.value = event.data.omitted_messages
          assistant.omitted_messages = event.data.omitted_messages
          break
        case 'sources':
          assistant.sources = event.data.sources
          break
        case 'reasoning':
          reasoningStarted ??= performance.now()
          assistant.reasoning += event.data.text
          break
        case 'content':
          if (reasoningStarted !== null && assistant.reasoning_ms === null) {
            assistant.reasoning_ms = performance.now() - reasoningStarted
          }
          assistant.content += event.data.text
          break
        case 'usage':
          assistant.input_tokens = event.data.input_tokens
          assistant.output_tokens = event.data.output_tokens
          assistant.tokens_estimated = event.data.estimated
          break
        case 'error':
          assistant.error = event.data
          break
        case 'done':
          done = true
          replace(assistant.id, event.data.message)
          break
      }
    }

    try {
      await stream(request, handle, ctrl.signal)
    } catch (err) {
      if (!started) {
        options.messages.value = before
        throw err
      }
      assistant.status = 'error'
      assistant.error = { code: 'stream_error', message: errorMessage(err) }
    } finally {
      streaming.value = false
      if (controller === ctrl) controller = null
    }
    if (!done) {
      if (assistant.status === 'streaming') assistant.status = ctrl.signal.aborted ? 'interrupted' : 'error'
      if (!ctrl.signal.aborted || reloadOnAbort) await settle(assistant.id, runNumber)
    }
    options.onSettled?.()
  }

  /** Send a new message at the end of the branch on screen. */
  function send(sessionId: number, content: string, turn: TurnOptions = {}): Promise<void> {
    const kept = options.messages.value
    const parentId = kept.at(-1)?.id ?? null
    const user = draftMessage('user', { content, parent_id: parentId })
    const body = { content, parent_id: parentId, ...(turn.modelId ? { model_id: turn.modelId } : {}) }
    return run({ kind: 'send', sessionId, body }, kept, user, parentId)
  }

  /** Answer the question again (optionally with another model); the old answer stays a variant. */
  function regenerate(message: ChatMessageRead, turn: TurnOptions = {}): Promise<void> {
    const list = options.messages.value
    const index = list.findIndex((m) => m.id === message.id)
    const body = turn.modelId ? { model_id: turn.modelId } : {}
    return run({ kind: 'regenerate', messageId: message.id, body }, list.slice(0, Math.max(index, 0)), null, message.parent_id)
  }

  /** Send an edited version of a user message; the conversation continues from it. */
  function edit(message: ChatMessageRead, content: string): Promise<void> {
    const list = options.messages.value
    const index = list.findIndex((m) => m.id === message.id)
    const user = draftMessage('user', { content, parent_id: message.parent_id })
    return run({ kind: 'edit', messageId: message.id, body: { content } }, list.slice(0, Math.max(index, 0)), user, message.parent_id)
  }

  /** Stop the answer being written; the stored (interrupted) state is reloaded. */
  function stop(): void {
    controller?.abort()
  }

  /** Stop without reloading (leaving the session, unmounting). */
  function cancel(): void {
    reloadOnAbort = false
    controller?.abort()
  }

  return { streaming: readonly(streaming), omitted, send, regenerate, edit, stop, cancel }
}
