import type { CompareStreamEvent } from '@/api/compare'
import type { CompareLaneRead, CompareRunRead, LaneStatus } from '@/api/types'

/** One lane on screen: the stored lane, grown live while its answer streams. */
export type LaneView = CompareLaneRead

export interface CompareState {
  run: CompareRunRead | null
  /** In display order (by position). */
  lanes: LaneView[]
}

export const MIN_MODELS = 2
export const MAX_MODELS = 6

export function emptyState(): CompareState {
  return { run: null, lanes: [] }
}

/** "A", "B", … "Z", then "AA": how a blind run names its lanes. */
export function blindLabel(index: number): string {
  let label = ''
  let n = index
  do {
    label = String.fromCharCode(65 + (n % 26)) + label
    n = Math.floor(n / 26) - 1
  } while (n >= 0)
  return label
}

/** A lane's title: its model while the run shows its models, else its letter. */
export function laneTitle(
  lane: Pick<LaneView, 'model_name' | 'label' | 'position'>,
  run: Pick<CompareRunRead, 'blind' | 'revealed'> | null): string {
  const hidden = run ? run.blind && !run.revealed : false
  if (!hidden && lane.model_name) return lane.model_name
  return lane.label || blindLabel(lane.position)
}

export function isActive(status: LaneStatus): boolean {
  return status === 'streaming'
}

function sorted(lanes: CompareLaneRead[]): LaneView[] {
  return [...lanes].sort((a, b) => a.position - b.position).map((lane) => ({ ...lane }))
}

/** Show a stored run (from the history, a vote, or the end of a stream). */
export function stateFromRun(run: CompareRunRead): CompareState {
  return { run, lanes: sorted(run.lanes) }
}

function laneOf(state: CompareState, id: number | undefined): LaneView | undefined {
  return id === undefined ? undefined : state.lanes.find((lane) => lane.id === id)
}

/**
 * Apply one stream event to the state, in place (the state is reactive in the page):
 * deltas grow their own lane only, `lane_done` replaces the lane with the stored one,
 * an error stays in its lane, `done` takes the stored run.
 */
export function applyCompareEvent(state: CompareState, event: CompareStreamEvent): void {
  switch (event.event) {
    case 'run': {
      state.run = event.data.run
      state.lanes = sorted(event.data.run.lanes)
      return
    }
    case 'content': {
      const lane = laneOf(state, event.data.lane_id)
      if (lane) lane.content += event.data.text
      return
    }
    case 'reasoning': {
      const lane = laneOf(state, event.data.lane_id)
      if (lane) lane.reasoning += event.data.text
      return
    }
    case 'usage': {
      const lane = laneOf(state, event.data.lane_id)
      if (!lane) return
      lane.input_tokens = event.data.input_tokens
      lane.output_tokens = event.data.output_tokens
      lane.tokens_estimated = event.data.estimated
      return
    }
    case 'error': {
      const lane = laneOf(state, event.data.lane_id)
      if (!lane) return
      lane.error = { code: event.data.code, message: event.data.message }
      lane.status = 'error'
      return
    }
    case 'lane_done': {
      const stored = event.data.lane
      const index = state.lanes.findIndex((lane) => lane.id === (event.data.lane_id ?? stored.id))
      if (index >= 0) state.lanes.splice(index, 1, { ...stored })
      return
    }
    case 'done': {
      if (event.data.run) {
        const previous = new Map(state.lanes.map((lane) => [lane.id, lane]))
        state.run = event.data.run
        // Keep what streamed for a lane the stored run lacks (it could not be saved).
        state.lanes = sorted(event.data.run.lanes.length ? event.data.run.lanes : [...previous.values()])
      }
      endStreaming(state)
      return
    }
  }
}

/** The stream is over (ended, aborted, or failed): no lane can still be answering. */
export function endStreaming(state: CompareState): void {
  for (const lane of state.lanes) if (lane.status === 'streaming') lane.status = 'interrupted'
}
