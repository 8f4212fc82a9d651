import { ElMessage, ElMessageBox } from 'element-plus'
import { onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { adminSettingsApi } from '@/api/admin-settings'
import { authApi } from '@/api/auth'
import type { AppSettingsRead, LoginLockRead } from '@/api/types'

export function useSettings() {
  const { t } = useI18n()
  const settings = ref<AppSettingsRead | null>(null)
  const savingRegistration = ref(false)
  const locks = ref<LoginLockRead[]>([])
  const loadingLocks = ref(false)

  async function loadSettings(): Promise<void> {
    try {
      settings.value = await adminSettingsApi.get()
    } catch {
      // The request client already showed the error.
    }
  }

  async function setRegistrationOpen(open: boolean): Promise<void> {
    savingRegistration.value = true
    try {
      settings.value = await adminSettingsApi.update({ registration_open: open })
      ElMessage.success(t('settings.saved'))
    } catch {
      // The request client already showed the error; the switch keeps its value.
    } finally {
      savingRegistration.value = false
    }
  }

  async function loadLocks(): Promise<void> {
    loadingLocks.value = true
    try {
      locks.value = await authApi.locks()
    } catch {
      // The request client already showed the error.
    } finally {
      loadingLocks.value = false
    }
  }

  async function clearLock(lock: LoginLockRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('settings.clearConfirm', { key: lock.key }), t('settings.clearTitle'), {
        type: 'warning',
        confirmButtonText: t('settings.clear'),
        cancelButtonText: t('common.cancel'),
      })
    } catch {
      return
    }
    try {
      await authApi.clearLock(lock.kind, lock.key)
      ElMessage.success(t('settings.cleared'))
      await loadLocks()
    } catch {
      // The request client already showed the error.
    }
  }

  onMounted(() => Promise.all([loadSettings(), loadLocks()]))

  return { settings, savingRegistration, setRegistrationOpen, locks, loadingLocks, loadLocks, clearLock }
}
