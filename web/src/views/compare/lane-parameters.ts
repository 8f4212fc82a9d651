import type { CompareStartBody } from '@/api/compare'
import type { CompareLaneRead } from '@/api/types'

/** The parameters a lane may set on top of its model's defaults (unset: the model's default). */
export interface LaneParams {
  temperature?: number | null
  top_p?: number | null
  max_tokens?: number | null
}

export type LaneParamName = keyof LaneParams

/** Bounds as the API checks them (`ModelParameters`). */
export const LANE_PARAMS: { name: LaneParamName; min: number; max: number; step: number; precision: number }[] = [
  { name: 'temperature', min: 0, max: 2, step: 0.1, precision: 2 },
  { name: 'top_p', min: 0, max: 1, step: 0.05, precision: 2 },
  { name: 'max_tokens', min: 1, max: 1_000_000, step: 64, precision: 0 },
]

/** Only the parameters that are set, or undefined when none is. */
export function setParams(params: LaneParams | undefined): LaneParams | undefined {
  const set = Object.fromEntries(
    Object.entries(params ?? {}).filter(([, value]) => typeof value === 'number' && Number.isFinite(value)),
  ) as LaneParams
  return Object.keys(set).length ? set : undefined
}

/** A Dify app in the model picker: its id, negated (model ids are positive). */
export const difyOptionId = (appId: number): number => -appId

/** The lanes of a new comparison: one per picked model (or Dify app), in order, with its set parameters. */
export function lanesBody(modelIds: number[], params: Record<number, LaneParams>): CompareStartBody['lanes'] {
  return modelIds.map((id) => {
    if (id < 0) return { dify_app_id: -id }
    const set = setParams(params[id])
    return set ? { model_id: id, parameters: set } : { model_id: id }
  })
}

/** The models and parameters of a stored run's lanes (those whose model is shown and still known). */
export function setupFromLanes(lanes: Pick<CompareLaneRead, 'model_id' | 'parameters' | 'position'>[]): {
  modelIds: number[]
  params: Record<number, LaneParams>
} {
  const ordered = [...lanes].sort((a, b) => a.position - b.position)
  const modelIds: number[] = []
  const params: Record<number, LaneParams> = {}
  for (const lane of ordered) {
    if (lane.model_id === null || modelIds.includes(lane.model_id)) continue
    modelIds.push(lane.model_id)
    const picked: LaneParams = {}
    for (const { name } of LANE_PARAMS) {
      const value = lane.parameters?.[name]
      if (typeof value === 'number') picked[name] = value
    }
    params[lane.model_id] = picked
  }
  return { modelIds, params }
}
