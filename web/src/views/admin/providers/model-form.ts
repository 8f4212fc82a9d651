import type {
  Capability,
  ModelAdminRead,
  ModelCreate,
  ModelParameters,
  ModelUpdate,
  ReasoningEffort,
  Role,
  Visibility,
} from '@/api/types'

export const CAPABILITIES: Capability[] = ['chat', 'embedding', 'vision', 'reasoning']
export const REASONING_EFFORTS: ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high']
export const ROLES: Role[] = ['admin', 'user']
export const MAX_STOP_WORDS = 4

/** Numeric parameter presets, their ranges and the value a slider rests on while unset. */
export const NUMERIC_PARAMETERS = {
  temperature: { min: 0, max: 2, step: 0.1, neutral: 1 },
  top_p: { min: 0, max: 1, step: 0.05, neutral: 1 },
  presence_penalty: { min: -2, max: 2, step: 0.1, neutral: 0 },
  frequency_penalty: { min: -2, max: 2, step: 0.1, neutral: 0 },
} as const

export type NumericParameter = keyof typeof NUMERIC_PARAMETERS
export const MAX_TOKENS_LIMIT = 1_000_000

/** The parameter preset as the form edits it: null means "not set, use the provider's default". */
export interface ParameterForm {
  temperature: number | null
  top_p: number | null
  max_tokens: number | null
  presence_penalty: number | null
  frequency_penalty: number | null
  stop: string[]
  reasoning_effort: ReasoningEffort | null
}

export interface ModelFormState {
  modelId: string
  displayName: string
  capabilities: Capability[]
  contextLength: number | null
  inputPrice: number | null
  outputPrice: number | null
  enabled: boolean
  visibility: Visibility
  allowedRoles: Role[]
  allowedUserIds: number[]
  parameters: ParameterForm
}

function finiteNumber(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isFinite(number) ? number : null
}

/** Read a stored parameter preset defensively (the API types it as an open object). */
export function parseParameters(raw: Record<string, unknown> | null | undefined): ParameterForm {
  const source = raw ?? {}
  const effort = source.reasoning_effort
  return {
    temperature: finiteNumber(source.temperature),
    top_p: finiteNumber(source.top_p),
    max_tokens: finiteNumber(source.max_tokens),
    presence_penalty: finiteNumber(source.presence_penalty),
    frequency_penalty: finiteNumber(source.frequency_penalty),
    stop: Array.isArray(source.stop) ? source.stop.filter((s): s is string => typeof s === 'string') : [],
    reasoning_effort: REASONING_EFFORTS.includes(effort as ReasoningEffort) ? (effort as ReasoningEffort) : null,
  }
}

/** The preset to send: unset and empty fields are dropped, stop words de-duplicated (at most 4). */
export function cleanParameters(form: ParameterForm): ModelParameters {
  const clean: Partial<ModelParameters> = {}
  for (const key of ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty'] as const) {
    const value = finiteNumber(form[key])
    if (value !== null) clean[key] = value
  }
  const maxTokens = finiteNumber(form.max_tokens)
  if (maxTokens !== null) clean.max_tokens = Math.round(maxTokens)
  const stop = [...new Set(form.stop.filter((word) => word !== ''))].slice(0, MAX_STOP_WORDS)
  if (stop.length) clean.stop = stop
  if (form.reasoning_effort) clean.reasoning_effort = form.reasoning_effort
  // `stop` defaults to [] on the server, so leaving it out is the same as sending it empty.
  return clean as ModelParameters
}

export function emptyModelForm(): ModelFormState {
  return {
    modelId: '',
    displayName: '',
    capabilities: ['chat'],
    contextLength: null,
    inputPrice: null,
    outputPrice: null,
    enabled: true,
    visibility: 'all',
    allowedRoles: [],
    allowedUserIds: [],
    parameters: parseParameters({}),
  }
}

export function modelFormFrom(model: ModelAdminRead): ModelFormState {
  return {
    modelId: model.model_id,
    displayName: model.display_name,
    capabilities: model.capabilities.filter((c): c is Capability => CAPABILITIES.includes(c as Capability)),
    contextLength: model.context_length,
    inputPrice: finiteNumber(model.input_price_per_mtok),
    outputPrice: finiteNumber(model.output_price_per_mtok),
    enabled: model.enabled,
    visibility: model.visibility,
    allowedRoles: [...model.allowed_roles],
    allowedUserIds: [...model.allowed_user_ids],
    parameters: parseParameters(model.parameters),
  }
}

/**
 * Every editable field. The server keeps a field that is left out (null included), so an unset
 * context length or price is simply not sent; the parameter preset is replaced as a whole.
 */
export function buildModelUpdate(form: ModelFormState): ModelUpdate {
  const body: ModelUpdate = {
    capabilities: [...form.capabilities],
    parameters: cleanParameters(form.parameters),
    enabled: form.enabled,
    visibility: form.visibility,
    allowed_roles: form.visibility === 'restricted' ? [...form.allowedRoles] : [],
    allowed_user_ids: form.visibility === 'restricted' ? [...form.allowedUserIds] : [],
  }
  const displayName = form.displayName.trim()
  if (displayName) body.display_name = displayName
  const contextLength = finiteNumber(form.contextLength)
  if (contextLength !== null) body.context_length = Math.round(contextLength)
  const inputPrice = finiteNumber(form.inputPrice)
  if (inputPrice !== null) body.input_price_per_mtok = inputPrice
  const outputPrice = finiteNumber(form.outputPrice)
  if (outputPrice !== null) body.output_price_per_mtok = outputPrice
  return body
}

export function buildModelCreate(form: ModelFormState): ModelCreate {
  return { model_id: form.modelId.trim(), ...buildModelUpdate(form) }
}

/** "$0.15 / $0.60" style price, or a dash when unknown. */
export function formatPrice(value: string | number | null | undefined): string {
  const number = finiteNumber(value)
  if (number === null) return '—'
  return `$${number.toLocaleString('en-US', { maximumFractionDigits: 6 })}`
}

/** 131072 -> "128K", 1048576 -> "1M", 8000 -> "8,000". */
export function formatContextLength(value: number | null | undefined): string {
  if (!value) return '—'
  if (value % 1_048_576 === 0) return `${value / 1_048_576}M`
  if (value % 1024 === 0) return `${value / 1024}K`
  return value.toLocaleString('en-US')
}
