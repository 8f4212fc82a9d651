import { ElMessage } from 'element-plus'
import { computed, onBeforeUnmount, onMounted, reactive, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { useRouter } from 'vue-router'
import { compareApi, streamCompare, type CompareStreamRequest } from '@/api/compare'
import { difyApi, type DifyAppRead } from '@/api/dify'
import { modelsApi } from '@/api/models'
import type { CompareRunRead, CompareRunSummary, ModelRead } from '@/api/types'
import { usePagedList } from '@/composables/use-paged-list'
import { errorMessage } from '@/utils/errors'
import type { ApplyMode } from '@/views/chat/use-template-picker'
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
import { lanesBody, setupFromLanes, type LaneParams } from './lane-parameters'

export function useCompare() {
  const { t } = useI18n()
  const router = useRouter()
  const models = ref<ModelRead[]>([])
  /** Dify apps that can answer a lane too (picked by `difyOptionId`). */
  const difyApps = ref<DifyAppRead[]>([])
  const selected = ref<number[]>([])
  const prompt = ref('')
  const systemPrompt = ref('')
  const blind = ref(false)
  /** Every lane gets the same passages from these knowledge bases. */
  const knowledgeBaseIds = ref<number[]>([])
  /** Per picked model: the parameters its lane sets on top of the model's defaults. */
  const laneParams = ref<Record<number, LaneParams>>({})
  const state = reactive<CompareState>(emptyState())
  const streaming = ref(false)
  const historyList = usePagedList<CompareRunSummary>((page, pageSize) => compareApi.list(page, pageSize))
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
      const [listed, apps] = await Promise.all([modelsApi.list(), difyApi.list()])
      models.value = listed.filter((model) => model.capabilities.includes('chat'))
      difyApps.value = apps.filter((app) => app.enabled)
    } catch {
      // toast shown by the client
    }
  }

  /** Reload the history page on screen (after a run, a vote or a deletion). */
  const loadHistory = (): Promise<void> => historyList.load()

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
        knowledge_base_ids: knowledgeBaseIds.value,
        lanes: lanesBody(selected.value, laneParams.value),
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
      knowledgeBaseIds.value = read.knowledge_base_ids ?? []
      const setup = setupFromLanes(read.lanes)
      if (setup.modelIds.length === read.lanes.length) {
        selected.value = setup.modelIds
        laneParams.value = setup.params
      }
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
      if (historyList.items.value.length === 1 && historyList.page.value > 1) historyList.page.value -= 1
      await loadHistory()
    } catch {
      // toast shown by the client
    }
  }

  /** A rendered prompt template becomes the system prompt or the prompt. */
  function applyTemplate(mode: ApplyMode, text: string): void {
    if (mode === 'system') systemPrompt.value = text
    else prompt.value = text
  }

  onMounted(() => {
    void loadModels()
    void loadHistory()
  })
  onBeforeUnmount(() => controller?.abort())

  return {
    models,
    difyApps,
    selected,
    prompt,
    systemPrompt,
    blind,
    knowledgeBaseIds,
    state,
    streaming,
    laneParams,
    history: historyList.items,
    historyTotal: historyList.total,
    historyPage: historyList.page,
    historyPageSize: historyList.pageSize,
    historyLoading: historyList.loading,
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
    applyTemplate,
  }
}
