import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { baseModelsApi, modelVersionsApi, type BaseModelRead, type ModelVersionRead, type TemplateList } from '@/api/model-versions'
import { isBusy } from './model-format'

export const POLL_MS = 2000

/** Model versions and base models, polled while a server starts or stops or an export runs. */
export function useModelVersions() {
  const { t } = useI18n()
  const versions = ref<ModelVersionRead[]>([])
  const baseModels = ref<BaseModelRead[]>([])
  const templates = ref<TemplateList>({ templates: [], model_roots: [] })
  const loading = ref(false)
  const acting = ref<Record<number, boolean>>({})
  let timer: ReturnType<typeof setTimeout> | null = null

  const anyBusy = computed(() => versions.value.some(isBusy))

  async function loadVersions(): Promise<void> {
    try {
      versions.value = (await modelVersionsApi.list()).items
    } catch {
      // toast shown by the client
    }
    schedule()
  }

  async function loadBaseModels(): Promise<void> {
    try {
      baseModels.value = await baseModelsApi.list()
    } catch {
      // toast shown by the client
    }
  }

  async function loadTemplates(): Promise<void> {
    try {
      templates.value = await baseModelsApi.templates()
    } catch {
      // toast shown by the client
    }
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      await Promise.all([loadVersions(), loadBaseModels(), loadTemplates()])
    } finally {
      loading.value = false
    }
  }

  function schedule(): void {
    if (timer !== null) clearTimeout(timer)
    timer = anyBusy.value ? setTimeout(() => void loadVersions(), POLL_MS) : null
  }

  function replace(updated: ModelVersionRead): void {
    versions.value = versions.value.map((version) => (version.id === updated.id ? updated : version))
    schedule()
  }

  async function act(version: ModelVersionRead, action: (id: number) => Promise<ModelVersionRead>): Promise<void> {
    acting.value = { ...acting.value, [version.id]: true }
    try {
      replace(await action(version.id))
    } catch {
      // toast shown by the client
    } finally {
      acting.value = { ...acting.value, [version.id]: false }
    }
  }

  const serve = (version: ModelVersionRead) => act(version, modelVersionsApi.serve)
  const stop = (version: ModelVersionRead) => act(version, modelVersionsApi.stop)
  const exportMerged = (version: ModelVersionRead) => act(version, modelVersionsApi.exportMerged)

  async function removeVersion(version: ModelVersionRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('modelVersions.deleteConfirm', { name: version.name }), { type: 'warning' })
    } catch {
      return
    }
    try {
      await modelVersionsApi.remove(version.id)
      ElMessage.success(t('modelVersions.deleted'))
      versions.value = versions.value.filter((item) => item.id !== version.id)
    } catch {
      // toast shown by the client
    }
  }

  function upsertBaseModel(saved: BaseModelRead): void {
    const others = baseModels.value.filter((model) => model.id !== saved.id)
    baseModels.value = [...others, saved].sort((a, b) => a.name.localeCompare(b.name))
  }

  async function removeBaseModel(model: BaseModelRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('baseModels.deleteConfirm', { name: model.name }), { type: 'warning' })
    } catch {
      return
    }
    try {
      await baseModelsApi.remove(model.id)
      ElMessage.success(t('modelVersions.deleted'))
      baseModels.value = baseModels.value.filter((item) => item.id !== model.id)
    } catch {
      // toast shown by the client (409 while versions or jobs use it)
    }
  }

  onMounted(load)
  onBeforeUnmount(() => {
    if (timer !== null) clearTimeout(timer)
  })

  return {
    versions,
    baseModels,
    templates,
    loading,
    acting,
    load,
    serve,
    stop,
    exportMerged,
    removeVersion,
    upsertBaseModel,
    removeBaseModel,
  }
}
