import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, ref, shallowRef, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRoute, useRouter } from 'vue-router'
import { chatApi } from '@/api/chat'
import { modelsApi } from '@/api/models'
import type { ChatMessageRead, ChatSessionDetail, ChatSessionRead, ModelParameters, ModelRead } from '@/api/types'
import { copyText } from '@/utils/clipboard'
import { errorMessage } from '@/utils/errors'
import { useChatSessions } from './use-chat-sessions'
import { useChatStream } from './use-chat-stream'

const MODEL_KEY = 'llmforge.chat.model'

export interface ChatSettings {
  system_prompt: string
  parameters: Partial<ModelParameters>
}

function rememberModel(id: number | null): void {
  try {
    if (id) localStorage.setItem(MODEL_KEY, String(id))
  } catch {
    // Storage may be unavailable (private mode); the choice just is not remembered.
  }
}

function rememberedModel(): number | null {
  try {
    const value = Number(localStorage.getItem(MODEL_KEY))
    return Number.isInteger(value) && value > 0 ? value : null
  } catch {
    return null
  }
}

/** The chat page: the session on screen, its messages, models, settings and every action. */
export function useChat() {
  const { t } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const sessionList = useChatSessions()

  const models = ref<ModelRead[]>([])
  const modelsLoaded = ref(false)
  const sessionId = ref<number | null>(null)
  const session = shallowRef<ChatSessionRead | null>(null)
  const messages = ref<ChatMessageRead[]>([])
  const loadingSession = ref(false)
  const modelId = ref<number | null>(null)
  /** Settings of a chat that does not exist yet (used when its first message creates it). */
  const draftSettings = ref<ChatSettings>({ system_prompt: '', parameters: {} })
  /** The composer's text. */
  const input = ref('')

  const model = computed(() => models.value.find((m) => m.id === modelId.value) ?? null)
  const settings = computed<ChatSettings>(() =>
    session.value
      ? { system_prompt: session.value.system_prompt, parameters: session.value.parameters as Partial<ModelParameters> }
      : draftSettings.value,
  )

  function apply(detail: ChatSessionDetail): void {
    const { messages: rows, ...read } = detail
    session.value = read
    messages.value = rows
    if (read.model_id && models.value.some((m) => m.id === read.model_id)) modelId.value = read.model_id
  }

  const stream = useChatStream({
    messages,
    load: () => chatApi.getSession(sessionId.value!),
    apply,
    onSettled: () => void refreshSessions(),
  })

  /** The first message names a new chat: refresh the list and the title on screen. */
  async function refreshSessions(): Promise<void> {
    await sessionList.load()
    const fresh = sessionList.sessions.value.find((s) => s.id === sessionId.value)
    if (fresh) session.value = fresh
  }

  function defaultModel(): number | null {
    const remembered = rememberedModel()
    if (remembered && models.value.some((m) => m.id === remembered)) return remembered
    return models.value[0]?.id ?? null
  }

  let modelsReady: Promise<void> = Promise.resolve()

  async function loadModels(): Promise<void> {
    try {
      models.value = await modelsApi.list()
    } catch {
      models.value = []
    } finally {
      modelsLoaded.value = true
    }
    if (!models.value.some((m) => m.id === modelId.value)) {
      const own = session.value?.model_id
      modelId.value = own && models.value.some((m) => m.id === own) ? own : defaultModel()
    }
  }

  async function openSession(id: number): Promise<void> {
    stream.cancel()
    sessionId.value = id
    loadingSession.value = true
    try {
      const detail = await chatApi.getSession(id)
      if (sessionId.value === id) apply(detail)
    } catch {
      if (sessionId.value === id) await router.replace({ name: 'chat' })
    } finally {
      if (sessionId.value === id) loadingSession.value = false
    }
  }

  function startNew(): void {
    stream.cancel()
    sessionId.value = null
    session.value = null
    messages.value = []
    loadingSession.value = false
    draftSettings.value = { system_prompt: '', parameters: {} }
    modelId.value = defaultModel()
  }

  watch(
    () => route.params.id,
    (raw) => {
      const id = typeof raw === 'string' && raw ? Number(raw) : null
      if (id === null) startNew()
      else if (id !== sessionId.value || !session.value) void openSession(id)
    },
    { immediate: true },
  )

  onMounted(() => {
    modelsReady = loadModels()
    void sessionList.load()
  })
  onBeforeUnmount(() => stream.cancel())

  function newChat(): void {
    if (route.name === 'chat' && !route.params.id) startNew()
    else void router.push({ name: 'chat' })
  }

  function openRoute(id: number): Promise<unknown> {
    return router.push({ name: 'chat', params: { id: String(id) } })
  }

  async function ensureSession(): Promise<number | null> {
    if (sessionId.value !== null) return sessionId.value
    const created = await chatApi.createSession({
      model_id: modelId.value,
      system_prompt: draftSettings.value.system_prompt,
      parameters: draftSettings.value.parameters as ModelParameters,
    })
    sessionId.value = created.id
    session.value = created
    sessionList.upsert(created)
    await router.replace({ name: 'chat', params: { id: String(created.id) } })
    return created.id
  }

  function refused(err: unknown): void {
    // Errors from before the stream started were not shown by the request client.
    ElMessage.error(errorMessage(err))
  }

  let sending = false

  /** Send the composer's text (one at a time: a second Enter while starting is ignored). */
  async function send(): Promise<void> {
    if (sending) return
    sending = true
    try {
      await sendNow()
    } finally {
      sending = false
    }
  }

  async function sendNow(): Promise<void> {
    const content = input.value.trim()
    if (!content || stream.streaming.value) return
    if (!modelsLoaded.value) await modelsReady // Enter pressed before the model list arrived.
    if (!modelId.value) {
      ElMessage.warning(t('chat.chooseModel'))
      return
    }
    input.value = ''
    let id: number | null
    try {
      id = await ensureSession()
    } catch {
      input.value ||= content // The request client already showed why.
      return
    }
    if (id === null) return
    try {
      await stream.send(id, content)
    } catch (err) {
      refused(err)
      input.value ||= content
    }
  }

  async function regenerate(message: ChatMessageRead, otherModelId?: number): Promise<void> {
    try {
      await stream.regenerate(message, { modelId: otherModelId ?? null })
    } catch (err) {
      refused(err)
    }
  }

  async function edit(message: ChatMessageRead, content: string): Promise<boolean> {
    const text = content.trim()
    if (!text) return false
    try {
      await stream.edit(message, text)
      return true
    } catch (err) {
      refused(err)
      return false
    }
  }

  async function switchVariant(messageId: number): Promise<void> {
    if (sessionId.value === null || stream.streaming.value) return
    try {
      apply(await chatApi.switchVariant(sessionId.value, messageId))
    } catch {
      // The request client already showed the error.
    }
  }

  async function deleteMessage(message: ChatMessageRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('chat.deleteMessageConfirm'), t('chat.deleteMessage'), {
        type: 'warning',
        confirmButtonText: t('common.delete'),
        cancelButtonText: t('common.cancel'),
        customClass: 'chat-confirm',
      })
    } catch {
      return
    }
    try {
      await chatApi.deleteMessage(message.id)
      if (sessionId.value !== null) apply(await chatApi.getSession(sessionId.value))
    } catch {
      // The request client already showed the error.
    }
  }

  async function copyMessage(message: ChatMessageRead): Promise<void> {
    if (await copyText(message.content)) ElMessage.success(t('chat.copied'))
    else ElMessage.error(t('chat.copyFailed'))
  }

  async function chooseModel(id: number): Promise<void> {
    modelId.value = id
    rememberModel(id)
    if (sessionId.value === null) return
    try {
      session.value = await chatApi.updateSession(sessionId.value, { model_id: id })
      sessionList.upsert(session.value)
    } catch {
      // The request client already showed the error.
    }
  }

  async function saveSettings(next: ChatSettings): Promise<boolean> {
    if (sessionId.value === null) {
      draftSettings.value = next
      return true
    }
    try {
      session.value = await chatApi.updateSession(sessionId.value, {
        system_prompt: next.system_prompt,
        parameters: next.parameters as ModelParameters,
      })
      return true
    } catch {
      return false
    }
  }

  async function applySystemPrompt(text: string): Promise<boolean> {
    const saved = await saveSettings({ ...settings.value, system_prompt: text })
    if (saved) ElMessage.success(t('chat.systemPromptApplied'))
    return saved
  }

  async function renameCurrent(): Promise<void> {
    if (session.value) {
      const updated = await sessionList.rename(session.value)
      if (updated && updated.id === sessionId.value) session.value = updated
    }
  }

  async function togglePin(target: ChatSessionRead): Promise<void> {
    const updated = await sessionList.togglePin(target)
    if (updated && updated.id === sessionId.value) session.value = updated
  }

  async function rename(target: ChatSessionRead): Promise<void> {
    const updated = await sessionList.rename(target)
    if (updated && updated.id === sessionId.value) session.value = updated
  }

  async function removeSession(target: ChatSessionRead): Promise<void> {
    if (await sessionList.remove(target)) {
      if (target.id === sessionId.value) {
        stream.cancel()
        await router.push({ name: 'chat' })
      }
    }
  }

  return {
    sessionList,
    models,
    modelsLoaded,
    model,
    modelId,
    sessionId,
    session,
    messages,
    loadingSession,
    settings,
    input,
    streaming: stream.streaming,
    omitted: stream.omitted,
    stop: stream.stop,
    newChat,
    openRoute,
    send,
    regenerate,
    edit,
    switchVariant,
    deleteMessage,
    copyMessage,
    chooseModel,
    saveSettings,
    applySystemPrompt,
    renameCurrent,
    rename,
    togglePin,
    removeSession,
    ensureSession,
  }
}
