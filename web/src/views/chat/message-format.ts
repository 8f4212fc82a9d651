import type { ChatMessageRead } from '@/api/types'

export function formatMs(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

/** Whole seconds of thinking, at least 1 once there was any. */
export function thoughtSeconds(ms: number | null | undefined): number | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null
  return Math.max(1, Math.round(ms / 1000))
}

/** "12" or "~12" when the count is an estimate. */
export function formatTokens(count: number | null | undefined, estimated: boolean): string | null {
  if (count === null || count === undefined) return null
  return `${estimated ? '~' : ''}${count}`
}

/** A decimal string from the server, shown with enough digits to be meaningful. */
export function formatCost(cost: string | null | undefined): string | null {
  if (cost === null || cost === undefined || cost === '') return null
  const value = Number(cost)
  if (!Number.isFinite(value)) return null
  if (value === 0) return '$0'
  return `$${value < 0.01 ? value.toPrecision(3) : value.toFixed(4)}`
}

export interface MetaItem {
  key: 'model' | 'tokens' | 'latency' | 'ttft' | 'cost'
  value: string
}

/** The answer footer's facts, those that are known. */
export function messageMeta(message: ChatMessageRead): MetaItem[] {
  const items: MetaItem[] = []
  const model = [message.model_name, message.provider_name].filter(Boolean).join(' · ')
  if (model) items.push({ key: 'model', value: model })
  const input = formatTokens(message.input_tokens, message.tokens_estimated)
  const output = formatTokens(message.output_tokens, message.tokens_estimated)
  if (input !== null || output !== null) items.push({ key: 'tokens', value: `${input ?? '—'} / ${output ?? '—'}` })
  const latency = formatMs(message.latency_ms)
  if (latency) items.push({ key: 'latency', value: latency })
  const ttft = formatMs(message.ttft_ms)
  if (ttft) items.push({ key: 'ttft', value: ttft })
  const cost = formatCost(message.cost)
  if (cost) items.push({ key: 'cost', value: cost })
  return items
}
