import { ElMessage } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, reactive, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRouter } from 'vue-router'
import { compareApi, streamCompare, type CompareStreamRequest } from '@/api/compare'
import { modelsApi } from '@/api/models'
import type { CompareRunRead, CompareRunSummary, ModelRead } from '@/api/types'
import { errorMessage } from '@/utils/errors'
import {
  MAX_MODELS,
  MIN_MODELS,
  applyCompareEvent,
  emptyState,
  endStreaming,
  stateFromRun,
  type CompareState,
  type LaneView,
} from './compare-state'

export function useCompare() {
  const { t } = useI18n()
  const router = useRouter()
  const models = ref<ModelRead[]>([])
  const selected = ref<number[]>([])
  const prompt = ref('')
  const systemPrompt = ref('')
  const blind = ref(false)
  const state = reactive<CompareState>(emptyState())
  const streaming = ref(false)
  const history = ref<CompareRunSummary[]>([])
  const historyTotal = ref(0)
  let controller: AbortController | null = null

  const canRun = computed(
    () =>
      !streaming.value &&
      prompt.value.trim().length > 0 &&
      selected.value.length >= MIN_MODELS &&
      selected.value.length <= MAX_MODELS,
  )

  async function loadModels(): Promise<void> {
    try {
      models.value = (await modelsApi.list()).filter((model) => model.capabilities.includes('chat'))
    } catch {
      // toast shown by the client
    }
  }

  async function loadHistory(): Promise<void> {
    try {
      const page = await compareApi.list(1, 50)
      history.value = page.items
      historyTotal.value = page.total
    } catch {
      // toast shown by the client
    }
  }

  function show(run: CompareRunRead): void {
    Object.assign(state, stateFromRun(run))
  }

  async function stream(request: CompareStreamRequest): Promise<void> {
    controller?.abort()
    controller = new AbortController()
    Object.assign(state, emptyState())
    streaming.value = true
    try {
      await streamCompare(request, (event) => applyCompareEvent(state, event), controller.signal)
    } catch (err) {
      ElMessage.error(errorMessage(err))
    } finally {
      endStreaming(state)
      streaming.value = false
      controller = null
      void loadHistory()
    }
  }

  function run(): Promise<void> {
    return stream({
      kind: 'start',
      body: {
        prompt: prompt.value,
        system_prompt: systemPrompt.value,
        blind: blind.value,
        lanes: selected.value.map((id) => ({ model_id: id })),
      },
    })
  }

  async function rerun(): Promise<void> {
    if (state.run) await stream({ kind: 'rerun', runId: state.run.id })
  }

  async function stopAll(): Promise<void> {
    if (!state.run) {
      controller?.abort()
      return
    }
    try {
      await compareApi.stop(state.run.id, { toast: false })
    } catch {
      // Already finished: nothing to stop.
    }
  }

  async function stopLane(lane: LaneView): Promise<void> {
    if (!state.run) return
    try {
      await compareApi.stopLane(state.run.id, lane.id, { toast: false })
    } catch {
      // Already finished.
    }
  }

  async function vote(body: { winner_lane_id?: number | null; ratings?: Record<string, number> }): Promise<void> {
    if (!state.run) return
    try {
      show(await compareApi.vote(state.run.id, body))
      void loadHistory()
    } catch {
      // toast shown by the client
    }
  }

  const rate = (lane: LaneView, rating: number) => vote({ ratings: { [lane.id]: rating } })
  const pickWinner = (lane: LaneView) => vote({ winner_lane_id: lane.id })

  async function open(id: number): Promise<void> {
    if (streaming.value) return
    try {
      const read = await compareApi.get(id)
      show(read)
      prompt.value = read.prompt
      systemPrompt.value = read.system_prompt
      blind.value = read.blind
    } catch {
      // toast shown by the client
    }
  }

  async function continueLane(lane: LaneView): Promise<void> {
    if (!state.run) return
    try {
      const session = await compareApi.continueLane(state.run.id, lane.id)
      await router.push(`/chat/${session.id}`)
    } catch {
      // toast shown by the client
    }
  }

  async function remove(id: number): Promise<void> {
    try {
      await compareApi.remove(id)
      if (state.run?.id === id) Object.assign(state, emptyState())
      ElMessage.success(t('compare.deleted'))
      await loadHistory()
    } catch {
      // toast shown by the client
    }
  }

  onMounted(() => {
    void loadModels()
    void loadHistory()
  })
  onBeforeUnmount(() => controller?.abort())

  return {
    models,
    selected,
    prompt,
    systemPrompt,
    blind,
    state,
    streaming,
    history,
    historyTotal,
    canRun,
    run,
    rerun,
    stopAll,
    stopLane,
    rate,
    pickWinner,
    open,
    continueLane,
    remove,
    loadHistory,
  }
}
