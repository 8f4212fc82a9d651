import { ElMessage, ElMessageBox } from 'element-plus'
import { computed, reactive, ref, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { promptsApi } from '@/api/prompts'
import type { PromptTemplateRead } from '@/api/types'
import { useAuthStore } from '@/stores/auth'
import {
  buildPromptCreate,
  buildPromptUpdate,
  detectVariables,
  emptyPromptForm,
  hasChanges,
  promptFormFrom,
  saveErrorTarget,
  templateErrorMessage,
  undeclaredVariables,
  variablesHaveProblems,
  type PromptFormState,
} from './prompt-form'

export interface SaveOutcome {
  template: PromptTemplateRead
  created: boolean
}

export function usePromptEditor() {
  const { t } = useI18n()
  const auth = useAuthStore()

  const template = shallowRef<PromptTemplateRead | null>(null)
  const form = reactive<PromptFormState>(emptyPromptForm())
  /** The form as last loaded or saved, to tell unsaved edits apart. */
  const pristine = ref(JSON.stringify(emptyPromptForm()))
  const loading = ref(false)
  const saving = ref(false)
  const notFound = ref(false)
  /** Server errors, each shown where it belongs. */
  const errors = reactive({ name: '', body: '', variables: '', shared: '', general: '' })
  /** The version someone else saved while this edit was open (409 version_conflict). */
  const conflictVersion = ref<number | null>(null)

  const canShare = computed(() => auth.isAdmin)
  const isNew = computed(() => template.value === null)
  const readOnly = computed(() => template.value !== null && !template.value.editable)
  const undeclared = computed(() => undeclaredVariables(form.body, form.variables))

  function snapshot(): string {
    return JSON.stringify({
      ...form,
      variables: form.variables.map((row) => [row.name, row.description, row.default, row.required]),
    })
  }
  const dirty = computed(() => snapshot() !== pristine.value)

  function clearErrors(): void {
    errors.name = errors.body = errors.variables = errors.shared = errors.general = ''
    conflictVersion.value = null
  }

  function reset(source: PromptTemplateRead | null): void {
    template.value = source
    Object.assign(form, source ? promptFormFrom(source) : emptyPromptForm())
    pristine.value = snapshot()
    clearErrors()
  }

  async function load(id: number | null): Promise<void> {
    notFound.value = false
    if (id === null) {
      reset(null)
      return
    }
    if (template.value?.id === id) return
    loading.value = true
    try {
      reset(await promptsApi.get(id))
    } catch {
      notFound.value = true
    } finally {
      loading.value = false
    }
  }

  function detect(): number {
    const before = form.variables.length
    form.variables = detectVariables(form.body, form.variables)
    const added = form.variables.length - before
    if (added === 0) ElMessage.info(t('prompts.variables.nothingToAdd'))
    return added
  }

  /** Client-side checks before a request; false when something is shown as wrong. */
  function validate(): boolean {
    clearErrors()
    if (!form.name.trim()) errors.name = t('validation.required')
    if (!form.body.trim()) errors.body = t('validation.required')
    if (variablesHaveProblems(form.variables)) errors.variables = t('prompts.variables.fixRows')
    else if (undeclared.value.length) {
      errors.variables = t('prompts.problems.undeclared_variable', { names: undeclared.value.join(', ') })
    }
    return !errors.name && !errors.body && !errors.variables
  }

  function showSaveError(error: unknown): void {
    const target = saveErrorTarget(error)
    const message = templateErrorMessage(error, t)
    if (target === 'conflict') {
      const details = (error as { details?: { current_version?: number } }).details
      conflictVersion.value = details?.current_version ?? (template.value?.current_version ?? 0) + 1
    } else if (target === 'readOnly') {
      errors.general = message
    } else {
      errors[target] = message
    }
  }

  async function save(): Promise<SaveOutcome | null> {
    if (readOnly.value || !validate()) return null
    const original = template.value
    saving.value = true
    try {
      if (original === null) {
        const created = await promptsApi.create(buildPromptCreate(form, canShare.value), { toast: false })
        reset(created)
        ElMessage.success(t('prompts.created', { name: created.name }))
        return { template: created, created: true }
      }
      const changes = buildPromptUpdate(form, original, canShare.value)
      if (!hasChanges(changes)) {
        ElMessage.info(t('prompts.noChanges'))
        return null
      }
      const updated = await promptsApi.update(original.id, changes, { toast: false })
      reset(updated)
      ElMessage.success(
        updated.current_version !== original.current_version
          ? t('prompts.savedVersion', { version: updated.current_version })
          : t('prompts.saved'),
      )
      return { template: updated, created: false }
    } catch (error) {
      showSaveError(error)
      return null
    } finally {
      saving.value = false
    }
  }

  /** After a conflict: load the newest version and drop this edit. */
  async function reloadLatest(): Promise<void> {
    if (!template.value) return
    try {
      reset(await promptsApi.get(template.value.id))
    } catch {
      // The request client already showed the error.
    }
  }

  /** After a conflict: keep this edit and save it on top of the newest version. */
  async function overwrite(): Promise<SaveOutcome | null> {
    if (!template.value) return null
    try {
      template.value = await promptsApi.get(template.value.id)
    } catch {
      return null
    }
    return save()
  }

  async function confirm(message: string, title: string, button: string): Promise<boolean> {
    try {
      await ElMessageBox.confirm(message, title, {
        type: 'warning',
        confirmButtonText: button,
        cancelButtonText: t('common.cancel'),
      })
      return true
    } catch {
      return false
    }
  }

  async function restore(version: number): Promise<PromptTemplateRead | null> {
    const current = template.value
    if (!current || readOnly.value) return null
    const message = t('prompts.history.restoreConfirm', { version, next: current.current_version + 1 })
    const warning = dirty.value ? `${message} ${t('prompts.history.restoreDiscards')}` : message
    if (!(await confirm(warning, t('prompts.history.restoreTitle'), t('prompts.history.restore')))) return null
    try {
      const restored = await promptsApi.restore(current.id, version)
      reset(restored)
      ElMessage.success(t('prompts.history.restored', { version, next: restored.current_version }))
      return restored
    } catch {
      return null
    }
  }

  async function remove(): Promise<boolean> {
    const current = template.value
    if (!current || readOnly.value) return false
    if (!(await confirm(t('prompts.deleteConfirm', { name: current.name }), t('prompts.deleteTitle'), t('common.delete')))) {
      return false
    }
    try {
      await promptsApi.remove(current.id)
      pristine.value = snapshot()
      ElMessage.success(t('prompts.deleted', { name: current.name }))
      return true
    } catch {
      return false
    }
  }

  return {
    template,
    form,
    loading,
    saving,
    notFound,
    errors,
    conflictVersion,
    canShare,
    isNew,
    readOnly,
    dirty,
    undeclared,
    load,
    reset,
    detect,
    validate,
    save,
    reloadLatest,
    overwrite,
    restore,
    remove,
    confirm,
  }
}
