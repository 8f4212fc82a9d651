import { ElMessage, ElMessageBox } from 'element-plus'
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRouter } from 'vue-router'
import { difyApi, type DifyAppRead } from '@/api/dify'
import { errorMessage } from '@/utils/errors'
import { createBody, updateBody, type DifyAppForm } from './app-form'

/** The Dify apps page: the list, add/edit/delete, connection tests and starting a chat. */
export function useDifyApps() {
  const { t } = useI18n()
  const router = useRouter()
  const apps = ref<DifyAppRead[]>([])
  const loading = ref(false)
  const testing = ref<number | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      apps.value = await difyApi.list()
    } finally {
      loading.value = false
    }
  }

  function replace(app: DifyAppRead): void {
    const index = apps.value.findIndex((item) => item.id === app.id)
    if (index === -1) apps.value = [...apps.value, app].sort((a, b) => a.name.localeCompare(b.name))
    else apps.value.splice(index, 1, app)
  }

  /** Save the dialog's form; resolves true when it was stored. */
  async function save(form: DifyAppForm, editing: DifyAppRead | null): Promise<boolean> {
    try {
      if (editing) {
        replace(await difyApi.update(editing.id, updateBody(form, editing)))
        ElMessage.success(t('difyApps.saved'))
      } else {
        replace(await difyApi.create(createBody(form)))
        ElMessage.success(t('difyApps.created'))
      }
      return true
    } catch {
      return false // The request client already showed why.
    }
  }

  async function remove(app: DifyAppRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('difyApps.removeConfirm', { name: app.name }), t('difyApps.remove'), {
        type: 'warning',
      })
    } catch {
      return
    }
    await difyApi.remove(app.id)
    apps.value = apps.value.filter((item) => item.id !== app.id)
    ElMessage.success(t('difyApps.removed'))
  }

  async function test(app: DifyAppRead): Promise<void> {
    testing.value = app.id
    try {
      const result = await difyApi.test(app.id)
      if (result.outcome === 'ok') ElMessage.success(t('difyApps.testOk', { message: result.message }))
      else ElMessage.error(t('difyApps.testFailed', { message: result.message }))
      replace(await difyApi.get(app.id))
    } catch (err) {
      ElMessage.error(errorMessage(err))
    } finally {
      testing.value = null
    }
  }

  function openChat(app: DifyAppRead): Promise<unknown> {
    return router.push({ name: 'dify-chat', params: { appId: String(app.id) } })
  }

  return { apps, loading, testing, load, save, remove, test, openChat }
}
