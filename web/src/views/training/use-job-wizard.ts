import { computed, onMounted, reactive, ref, shallowRef, watch } from 'vue'
import { useRouter } from 'vue-router'
import { baseModelsApi, type BaseModelRead } from '@/api/model-versions'
import {
  trainingApi,
  type Hyperparameters,
  type JobCreate,
  type JobPreview,
  type TrainingDatasetRead,
  type TrainingMethod,
  type TrainingOptions,
} from '@/api/training'
import { errorMessage } from '@/utils/errors'

export type SwanlabMode = 'off' | 'local' | 'cloud'

export interface WizardForm {
  name: string
  baseModelId: number | null
  datasetId: number | null
  method: TrainingMethod
  stage: 'auto' | 'sft' | 'dpo'
  template: string
  presetId: string
  gpuCount: number
  priority: number
  swanlabMode: SwanlabMode
  swanlabProject: string
  swanlabKey: string
  advanced: boolean
  advancedYaml: string
}

/** The request body for a form; hyperparameters are sent whole (the preset was applied). */
export function jobBody(form: WizardForm, hyperparameters: Hyperparameters): JobCreate {
  return {
    name: form.name.trim(),
    base_model_id: form.baseModelId ?? 0,
    dataset_id: form.datasetId ?? 0,
    method: form.method,
    stage: form.stage === 'auto' ? null : form.stage,
    template: form.template || null,
    hyperparameters: { ...hyperparameters },
    gpu_count: form.gpuCount,
    priority: form.priority,
    advanced_yaml: form.advanced && form.advancedYaml.trim() ? form.advancedYaml : null,
    swanlab: {
      mode: form.swanlabMode,
      project: form.swanlabProject || 'llmforge',
      api_key: form.swanlabMode === 'cloud' && form.swanlabKey ? form.swanlabKey : null,
    },
  }
}

export function useJobWizard() {
  const router = useRouter()
  const options = shallowRef<TrainingOptions | null>(null)
  const baseModels = ref<BaseModelRead[]>([])
  const datasets = ref<TrainingDatasetRead[]>([])
  const step = ref(0)
  const preview = shallowRef<JobPreview | null>(null)
  const problem = ref('')
  const busy = ref(false)
  const form = reactive<WizardForm>({
    name: '',
    baseModelId: null,
    datasetId: null,
    method: 'lora',
    stage: 'auto',
    template: '',
    presetId: 'lora-standard',
    gpuCount: 1,
    priority: 0,
    swanlabMode: 'local',
    swanlabProject: 'llmforge',
    swanlabKey: '',
    advanced: false,
    advancedYaml: '',
  })
  const hyperparameters = reactive<Hyperparameters>({} as Hyperparameters)

  const baseModel = computed(() => baseModels.value.find((model) => model.id === form.baseModelId) ?? null)
  const dataset = computed(() => datasets.value.find((item) => item.id === form.datasetId) ?? null)
  const canContinue = computed(() =>
    step.value === 0 ? Boolean(form.name.trim() && form.baseModelId && form.datasetId) : true,
  )

  function applyPreset(id: string): void {
    const preset = options.value?.presets.find((item) => item.id === id)
    if (!options.value || !preset) return
    Object.assign(hyperparameters, options.value.defaults, preset.hyperparameters)
    form.method = preset.method
  }

  async function load(): Promise<void> {
    const [loaded, models, sets] = await Promise.all([
      trainingApi.options(),
      baseModelsApi.list(),
      trainingApi.datasets(),
    ])
    options.value = loaded
    baseModels.value = models
    datasets.value = sets.items
    form.swanlabMode = loaded.swanlab_available ? 'local' : 'off'
    applyPreset(form.presetId)
  }

  watch(
    () => form.baseModelId,
    () => {
      if (baseModel.value) form.template = baseModel.value.template
    },
  )
  watch(
    () => form.presetId,
    (id) => applyPreset(id),
  )

  async function refreshPreview(): Promise<boolean> {
    busy.value = true
    problem.value = ''
    try {
      preview.value = await trainingApi.preview(jobBody(form, hyperparameters))
      if (!form.advanced) form.advancedYaml = preview.value.yaml
      return true
    } catch (err) {
      problem.value = errorMessage(err)
      return false
    } finally {
      busy.value = false
    }
  }

  async function next(): Promise<void> {
    if (step.value === 1 && !(await refreshPreview())) return
    step.value = Math.min(step.value + 1, 2)
  }

  async function submit(): Promise<void> {
    busy.value = true
    problem.value = ''
    try {
      const job = await trainingApi.create(jobBody(form, hyperparameters))
      await router.push({ name: 'training-job', params: { id: job.id } })
    } catch (err) {
      problem.value = errorMessage(err)
    } finally {
      busy.value = false
    }
  }

  onMounted(() => void load())
  return {
    options,
    baseModels,
    datasets,
    baseModel,
    dataset,
    step,
    form,
    hyperparameters,
    preview,
    problem,
    busy,
    canContinue,
    next,
    refreshPreview,
    submit,
  }
}
