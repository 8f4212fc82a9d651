import { ElMessage, ElMessageBox } from 'element-plus'
import { onMounted, reactive, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { adminSettingsApi } from '@/api/admin-settings'
import type { AppSettingsRead, QuotaRead } from '@/api/types'
import { usageApi } from '@/api/usage'
import { usersApi } from '@/api/users'
import { errorMessage } from '@/utils/errors'
import { emptyQuotaForm, quotaFormFrom, quotaPayload } from './quota-form'

export interface UserOption {
  id: number
  email: string
}

export const USER_SEARCH_SIZE = 20

export function useQuotas() {
  const { t } = useI18n()
  const quotas = shallowRef<QuotaRead[]>([])
  const loading = ref(false)
  const defaults = shallowRef<AppSettingsRead | null>(null)

  const dialogOpen = ref(false)
  /** The budget being edited; null while setting one for a newly picked user. */
  const editing = shallowRef<QuotaRead | null>(null)
  const form = reactive(emptyQuotaForm())
  const saving = ref(false)
  const formError = ref('')
  const userOptions = shallowRef<UserOption[]>([])
  const searchingUsers = ref(false)
  let searchTicket = 0

  async function load(): Promise<void> {
    loading.value = true
    try {
      quotas.value = await usageApi.quotas()
    } catch {
      // The request client already showed the error.
    } finally {
      loading.value = false
    }
  }

  async function loadDefaults(): Promise<void> {
    try {
      defaults.value = await adminSettingsApi.get()
    } catch {
      // The request client already showed the error; the default card says it is unknown.
    }
  }

  async function searchUsers(query: string): Promise<void> {
    const ticket = ++searchTicket
    searchingUsers.value = true
    try {
      const page = await usersApi.list({ q: query.trim() || undefined, page: 1, page_size: USER_SEARCH_SIZE })
      if (ticket === searchTicket) userOptions.value = page.items.map((user) => ({ id: user.id, email: user.email }))
    } catch {
      // The request client already showed the error; the options stay as they were.
    } finally {
      if (ticket === searchTicket) searchingUsers.value = false
    }
  }

  function openCreate(): void {
    editing.value = null
    Object.assign(form, emptyQuotaForm())
    formError.value = ''
    userOptions.value = []
    dialogOpen.value = true
    void searchUsers('')
  }

  function openEdit(quota: QuotaRead): void {
    editing.value = quota
    Object.assign(form, quotaFormFrom(quota))
    formError.value = ''
    userOptions.value = [{ id: quota.user_id, email: quota.email }]
    dialogOpen.value = true
  }

  /** Save the dialog's budget; a refusal is shown inside the dialog, which stays open. */
  async function submit(): Promise<boolean> {
    if (form.userId === null) return false
    saving.value = true
    formError.value = ''
    try {
      const saved = await usageApi.setQuota(form.userId, quotaPayload(form), { toast: false })
      ElMessage.success(t('usage.quotas.saved', { email: saved.email }))
      dialogOpen.value = false
      await load()
      return true
    } catch (err) {
      formError.value = errorMessage(err)
      return false
    } finally {
      saving.value = false
    }
  }

  async function reset(quota: QuotaRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('usage.quotas.resetConfirm', { email: quota.email }), t('usage.quotas.resetTitle'), {
        type: 'warning',
        confirmButtonText: t('usage.quotas.reset'),
        cancelButtonText: t('common.cancel'),
      })
    } catch {
      return
    }
    try {
      await usageApi.resetQuota(quota.user_id)
      ElMessage.success(t('usage.quotas.resetDone', { email: quota.email }))
      await load()
    } catch {
      // The request client already showed the error.
    }
  }

  onMounted(() => Promise.all([load(), loadDefaults()]))

  return {
    quotas,
    loading,
    load,
    defaults,
    dialogOpen,
    editing,
    form,
    saving,
    formError,
    userOptions,
    searchingUsers,
    searchUsers,
    openCreate,
    openEdit,
    submit,
    reset,
  }
}
