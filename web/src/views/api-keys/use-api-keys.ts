import { ElMessage, ElMessageBox } from 'element-plus'
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { apiKeysApi, type ApiKeyCreated, type ApiKeyRead, type GatewayModelName } from '@/api/api-keys'
import { createBody, type ApiKeyForm } from './key-form'

function withoutSecret(created: ApiKeyCreated): ApiKeyRead {
  const listed: Partial<ApiKeyCreated> = { ...created }
  delete listed.secret
  return listed as ApiKeyRead
}

/** The API keys page: the list, creating (the secret is kept only until the dialog closes),
 * revoking and deleting. */
export function useApiKeys() {
  const { t } = useI18n()
  const keys = ref<ApiKeyRead[]>([])
  const models = ref<GatewayModelName[]>([])
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      ;[keys.value, models.value] = await Promise.all([apiKeysApi.list(), apiKeysApi.models()])
    } finally {
      loading.value = false
    }
  }

  function replace(key: ApiKeyRead): void {
    const index = keys.value.findIndex((item) => item.id === key.id)
    if (index === -1) keys.value = [key, ...keys.value]
    else keys.value.splice(index, 1, key)
  }

  /** Create a key; resolves to it with its secret, or null when it was refused. */
  async function create(form: ApiKeyForm): Promise<ApiKeyCreated | null> {
    try {
      const created = await apiKeysApi.create(createBody(form))
      replace(withoutSecret(created))
      return created
    } catch {
      return null // The request client already showed why.
    }
  }

  async function revoke(key: ApiKeyRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('apiKeys.revokeConfirm', { name: key.name }), t('apiKeys.revoke'), {
        type: 'warning',
      })
    } catch {
      return
    }
    replace(await apiKeysApi.revoke(key.id))
    ElMessage.success(t('apiKeys.revoked'))
  }

  async function remove(key: ApiKeyRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('apiKeys.removeConfirm', { name: key.name }), t('apiKeys.remove'), {
        type: 'warning',
      })
    } catch {
      return
    }
    await apiKeysApi.remove(key.id)
    keys.value = keys.value.filter((item) => item.id !== key.id)
    ElMessage.success(t('apiKeys.removed'))
  }

  return { keys, models, loading, load, create, revoke, remove }
}
