import { ElMessage, ElMessageBox } from 'element-plus'
import { onBeforeUnmount, ref, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { chatApi, type ExportFormat } from '@/api/chat'
import type { ChatSessionRead } from '@/api/types'

const SEARCH_DEBOUNCE_MS = 300

/** Pinned first, then the most recently active (the server's order, kept after local edits). */
export function sortSessions(sessions: ChatSessionRead[]): ChatSessionRead[] {
  return [...sessions].sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || b.last_message_at.localeCompare(a.last_message_at) || b.id - a.id,
  )
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** The session sidebar: list, search, rename, pin, delete, export. */
export function useChatSessions() {
  const { t } = useI18n()
  const sessions = ref<ChatSessionRead[]>([])
  const query = ref('')
  const loading = ref(false)
  let ticket = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  async function load(): Promise<void> {
    const mine = ++ticket
    loading.value = true
    try {
      const rows = await chatApi.listSessions(query.value.trim() || undefined)
      if (mine === ticket) sessions.value = rows
    } catch {
      // The request client already showed the error.
    } finally {
      if (mine === ticket) loading.value = false
    }
  }

  watch(query, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void load(), SEARCH_DEBOUNCE_MS)
  })
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer)
  })

  function upsert(session: ChatSessionRead): void {
    const others = sessions.value.filter((s) => s.id !== session.id)
    sessions.value = sortSessions([...others, session])
  }

  async function rename(session: ChatSessionRead): Promise<ChatSessionRead | null> {
    let title: string
    try {
      const answer = await ElMessageBox.prompt(t('chat.renamePrompt'), t('chat.rename'), {
        inputValue: session.title,
        inputValidator: (value: string) => (value.trim().length > 0 && value.trim().length <= 200) || t('chat.titleInvalid'),
        confirmButtonText: t('common.save'),
        cancelButtonText: t('common.cancel'),
      })
      title = answer.value.trim()
    } catch {
      return null
    }
    try {
      const updated = await chatApi.updateSession(session.id, { title })
      upsert(updated)
      return updated
    } catch {
      return null
    }
  }

  async function togglePin(session: ChatSessionRead): Promise<ChatSessionRead | null> {
    try {
      const updated = await chatApi.updateSession(session.id, { pinned: !session.pinned })
      upsert(updated)
      return updated
    } catch {
      return null
    }
  }

  async function remove(session: ChatSessionRead): Promise<boolean> {
    try {
      await ElMessageBox.confirm(t('chat.deleteConfirm', { title: session.title || t('chat.untitled') }), t('chat.delete'), {
        type: 'warning',
        confirmButtonText: t('common.delete'),
        cancelButtonText: t('common.cancel'),
      })
    } catch {
      return false
    }
    try {
      await chatApi.deleteSession(session.id)
      sessions.value = sessions.value.filter((s) => s.id !== session.id)
      ElMessage.success(t('chat.deleted'))
      return true
    } catch {
      return false
    }
  }

  async function exportSession(session: ChatSessionRead, format: ExportFormat): Promise<void> {
    try {
      const { blob, filename } = await chatApi.exportSession(session.id, format)
      downloadBlob(blob, filename)
    } catch (err) {
      ElMessage.error(err instanceof Error ? err.message : String(err))
    }
  }

  return { sessions, query, loading, load, upsert, rename, togglePin, remove, exportSession }
}
