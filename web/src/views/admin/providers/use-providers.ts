import { ElMessage, ElMessageBox, ElNotification } from 'element-plus'
import { computed, onMounted, reactive, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { modelsApi } from '@/api/models'
import { providersApi } from '@/api/providers'
import type { ConnectionTestResult, ModelAdminRead, Preset, ProviderRead, RefreshSummary } from '@/api/types'
import { summarizeRefresh } from './provider-form'

export function useProviders() {
  const { t } = useI18n()

  const presets = shallowRef<Preset[]>([])
  const providers = ref<ProviderRead[]>([])
  const loading = ref(false)
  const selectedId = ref<number | null>(null)
  const models = ref<ModelAdminRead[]>([])
  const modelsLoading = ref(false)
  /** Per provider id: a refresh or test in flight, and the last refresh summary of this visit. */
  const refreshing = reactive<Record<number, boolean>>({})
  const testing = reactive<Record<number, boolean>>({})
  const summaries = reactive<Record<number, RefreshSummary>>({})

  const presetById = computed(() => new Map(presets.value.map((preset) => [preset.id, preset])))
  const selected = computed(() => providers.value.find((p) => p.id === selectedId.value) ?? null)
  let modelsTicket = 0

  function presetName(provider: ProviderRead): string {
    return presetById.value.get(provider.preset)?.name ?? provider.preset
  }

  async function loadModels(): Promise<void> {
    const id = selectedId.value
    const ticket = ++modelsTicket
    if (id === null) {
      models.value = []
      return
    }
    modelsLoading.value = true
    try {
      const rows = await modelsApi.listForProvider(id)
      if (ticket === modelsTicket) models.value = rows
    } catch {
      if (ticket === modelsTicket) models.value = []
    } finally {
      if (ticket === modelsTicket) modelsLoading.value = false
    }
  }

  function select(id: number | null): void {
    if (id === selectedId.value) return
    selectedId.value = id
    models.value = []
    void loadModels()
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      const [presetList, providerList] = await Promise.all([providersApi.presets(), providersApi.list()])
      presets.value = presetList
      providers.value = providerList
      if (!providerList.some((p) => p.id === selectedId.value)) select(providerList[0]?.id ?? null)
    } catch {
      // The request client already showed the error.
    } finally {
      loading.value = false
    }
  }

  /** Put a created or updated provider into the list (keeping its place) and select it. */
  function upsertProvider(provider: ProviderRead): void {
    const index = providers.value.findIndex((p) => p.id === provider.id)
    if (index === -1) providers.value = [...providers.value, provider]
    else providers.value = providers.value.map((p) => (p.id === provider.id ? provider : p))
    if (index === -1 || selectedId.value === null) select(provider.id)
  }

  async function reloadProvider(id: number): Promise<void> {
    try {
      upsertProvider(await providersApi.get(id))
    } catch {
      // The request client already showed the error.
    }
  }

  async function refreshModels(provider: ProviderRead): Promise<RefreshSummary | null> {
    refreshing[provider.id] = true
    try {
      const summary = await providersApi.refreshModels(provider.id)
      summaries[provider.id] = summary
      ElNotification({
        type: summary.unavailable.length ? 'warning' : 'success',
        title: t('providers.refreshDone', { name: provider.name }),
        message: summarizeRefresh(summary, t),
      })
      await reloadProvider(provider.id)
      if (selectedId.value === provider.id) await loadModels()
      else select(provider.id)
      return summary
    } catch {
      // The request client already showed the upstream error (502 with the provider's message).
      return null
    } finally {
      refreshing[provider.id] = false
    }
  }

  async function testConnection(provider: ProviderRead, model?: string): Promise<ConnectionTestResult | null> {
    testing[provider.id] = true
    try {
      const result = await providersApi.test(provider.id, model ? { model } : {})
      providers.value = providers.value.map((p) => (p.id === provider.id ? { ...p, last_test: result } : p))
      const outcome = t(`providers.outcomes.${result.outcome}`)
      if (result.outcome === 'ok') {
        ElMessage.success(t('providers.testOk', { name: provider.name, ms: Math.round(result.latency_ms) }))
      } else {
        ElMessage.warning(`${provider.name}: ${outcome}${result.message ? ` — ${result.message}` : ''}`)
      }
      return result
    } catch {
      return null
    } finally {
      testing[provider.id] = false
    }
  }

  async function setProviderEnabled(provider: ProviderRead, enabled: boolean): Promise<void> {
    try {
      upsertProvider(await providersApi.update(provider.id, { enabled }))
      ElMessage.success(t(enabled ? 'providers.enabledOn' : 'providers.enabledOff', { name: provider.name }))
    } catch {
      // The request client already showed the error; the switch keeps its previous value.
    }
  }

  async function confirm(message: string, title: string): Promise<boolean> {
    try {
      await ElMessageBox.confirm(message, title, {
        type: 'warning',
        confirmButtonText: t('common.delete'),
        cancelButtonText: t('common.cancel'),
      })
      return true
    } catch {
      return false
    }
  }

  async function removeProvider(provider: ProviderRead): Promise<void> {
    const ok = await confirm(
      t('providers.deleteConfirm', { name: provider.name, count: provider.model_count }),
      t('providers.deleteTitle'),
    )
    if (!ok) return
    try {
      await providersApi.remove(provider.id)
      ElMessage.success(t('providers.deleted'))
      providers.value = providers.value.filter((p) => p.id !== provider.id)
      delete summaries[provider.id]
      if (selectedId.value === provider.id) select(providers.value[0]?.id ?? null)
    } catch {
      // The request client already showed the error.
    }
  }

  function upsertModel(model: ModelAdminRead): void {
    if (model.provider_id !== selectedId.value) return
    const exists = models.value.some((m) => m.id === model.id)
    models.value = exists
      ? models.value.map((m) => (m.id === model.id ? model : m))
      : [...models.value, model].sort((a, b) => a.model_id.localeCompare(b.model_id))
    if (!exists) {
      providers.value = providers.value.map((p) =>
        p.id === model.provider_id ? { ...p, model_count: p.model_count + 1 } : p,
      )
    }
  }

  async function setModelEnabled(model: ModelAdminRead, enabled: boolean): Promise<void> {
    try {
      upsertModel(await modelsApi.update(model.id, { enabled }))
    } catch {
      // The request client already showed the error; the switch keeps its previous value.
    }
  }

  async function removeModel(model: ModelAdminRead): Promise<void> {
    const ok = await confirm(t('models.deleteConfirm', { name: model.model_id }), t('models.deleteTitle'))
    if (!ok) return
    try {
      await modelsApi.remove(model.id)
      ElMessage.success(t('models.deleted'))
      models.value = models.value.filter((m) => m.id !== model.id)
      providers.value = providers.value.map((p) =>
        p.id === model.provider_id ? { ...p, model_count: Math.max(0, p.model_count - 1) } : p,
      )
    } catch {
      // The request client already showed the error.
    }
  }

  onMounted(load)

  return {
    presets,
    presetById,
    presetName,
    providers,
    loading,
    load,
    selectedId,
    selected,
    select,
    models,
    modelsLoading,
    loadModels,
    refreshing,
    testing,
    summaries,
    upsertProvider,
    refreshModels,
    testConnection,
    setProviderEnabled,
    removeProvider,
    upsertModel,
    setModelEnabled,
    removeModel,
  }
}
