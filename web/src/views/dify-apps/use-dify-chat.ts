import { ElMessage } from 'element-plus'
import { onBeforeUnmount, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRoute, useRouter } from 'vue-router'
import { chatApi } from '@/api/chat'
import { difyApi, type DifyAppRead, type DifyChatRead } from '@/api/dify'
import type { ChatMessageRead, ChatSessionDetail } from '@/api/types'
import { copyText } from '@/utils/clipboard'
import { errorMessage } from '@/utils/errors'
import { useChatStream } from '@/views/chat/use-chat-stream'

/**
 * Talking to one Dify app: a chat session bound to the app (created with the first message),
 * streamed through the chat API like any answer, so stop, variants and storage work the same.
 */
export function useDifyChat() {
  const { t } = useI18n()
  const route = useRoute()
  const router = useRouter()
  const app = ref<DifyAppRead | null>(null)
  const link = ref<DifyChatRead | null>(null)
  const sessionId = ref<number | null>(null)
  const messages = ref<ChatMessageRead[]>([])
  const input = ref('')

  const appId = () => Number(route.params.appId)

  const load = () => chatApi.getSession(sessionId.value!)
  function apply(detail: ChatSessionDetail): void {
    messages.value = detail.messages
  }
  async function refreshLink(): Promise<void> {
    if (sessionId.value !== null) link.value = await difyApi.chat(sessionId.value)
  }

  const stream = useChatStream({ messages, load, apply, onSettled: () => void refreshLink() })

  async function open(): Promise<void> {
    stream.cancel()
    app.value = await difyApi.get(appId())
    const id = route.params.id ? Number(route.params.id) : null
    sessionId.value = id
    messages.value = []
    link.value = null
    if (id !== null) {
      apply(await load())
      await refreshLink()
    }
  }

  async function ensureSession(): Promise<number> {
    if (sessionId.value !== null) return sessionId.value
    const created = await difyApi.createChat(appId())
    sessionId.value = created.id
    await router.replace({ name: 'dify-chat', params: { appId: String(appId()), id: String(created.id) } })
    return created.id
  }

  async function send(): Promise<void> {
    const content = input.value.trim()
    if (!content || stream.streaming.value) return
    input.value = ''
    try {
      await stream.send(await ensureSession(), content)
    } catch (err) {
      input.value ||= content
      ElMessage.error(errorMessage(err))
    }
  }

  async function regenerate(message: ChatMessageRead): Promise<void> {
    try {
      await stream.regenerate(message)
    } catch (err) {
      ElMessage.error(errorMessage(err))
    }
  }

  async function edit(message: ChatMessageRead, content: string): Promise<void> {
    try {
      await stream.edit(message, content.trim())
    } catch (err) {
      ElMessage.error(errorMessage(err))
    }
  }

  async function switchVariant(messageId: number): Promise<void> {
    if (sessionId.value !== null) apply(await chatApi.switchVariant(sessionId.value, messageId))
  }

  async function deleteMessage(message: ChatMessageRead): Promise<void> {
    await chatApi.deleteMessage(message.id)
    apply(await load())
  }

  async function copy(message: ChatMessageRead): Promise<void> {
    if (await copyText(message.content)) ElMessage.success(t('chat.copied'))
    else ElMessage.error(t('chat.copyFailed'))
  }

  function newChat(): Promise<unknown> {
    return router.push({ name: 'dify-chat', params: { appId: String(appId()) } })
  }

  watch(
    () => [route.params.appId, route.params.id],
    ([nextApp, nextId], old) => {
      // Our own replace after creating the session keeps the stream on screen.
      if (old && nextApp === old[0] && Number(nextId) === sessionId.value) return
      void open()
    },
    { immediate: true },
  )
  onBeforeUnmount(() => stream.cancel())

  return {
    app,
    link,
    sessionId,
    messages,
    input,
    streaming: stream.streaming,
    stop: stream.stop,
    send,
    regenerate,
    edit,
    switchVariant,
    deleteMessage,
    copy,
    newChat,
  }
}
