import type { LaneView } from './compare-state'
import { formatCost, formatMs, formatTokens } from '@/views/chat/message-format'

export interface LaneMetric {
  key: 'ttft' | 'latency' | 'outputTokens' | 'tokensPerSecond' | 'cost' | 'finishReason'
  value: string
}

/** The metrics of a lane, "—" for what is not known (yet). */
export function laneMetrics(lane: LaneView): LaneMetric[] {
  const dash = (value: string | null | undefined) => value ?? '—'
  return [
    { key: 'ttft', value: dash(formatMs(lane.ttft_ms)) },
    { key: 'latency', value: dash(formatMs(lane.latency_ms)) },
    { key: 'outputTokens', value: dash(formatTokens(lane.output_tokens, lane.tokens_estimated)) },
    {
      key: 'tokensPerSecond',
      value: lane.tokens_per_second === null ? '—' : lane.tokens_per_second.toFixed(1),
    },
    { key: 'cost', value: dash(formatCost(lane.cost)) },
    { key: 'finishReason', value: dash(lane.finish_reason) },
  ]
}
