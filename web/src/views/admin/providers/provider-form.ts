import type { Preset, ProviderCreate, ProviderRead, ProviderUpdate, Protocol, RefreshSummary } from '@/api/types'

/** What happens to the stored API key on save (edit mode). */
export type KeyMode = 'keep' | 'replace' | 'remove'

export interface HeaderRow {
  name: string
  value: string
}

export interface ProviderFormState {
  preset: string
  name: string
  baseUrl: string
  apiKey: string
  keyMode: KeyMode
  /** Header rows; in edit mode only sent when `replaceHeaders` is set (values are write-only). */
  headers: HeaderRow[]
  replaceHeaders: boolean
  timeoutSeconds: number
  enabled: boolean
}

export const DEFAULT_TIMEOUT_SECONDS = 60
export const MAX_TIMEOUT_SECONDS = 3600
export const MAX_HEADERS = 20

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/

export const PROTOCOL_ORDER: Protocol[] = ['openai', 'anthropic', 'gemini', 'ollama']

export function emptyProviderForm(): ProviderFormState {
  return {
    preset: '',
    name: '',
    baseUrl: '',
    apiKey: '',
    keyMode: 'replace',
    headers: [],
    replaceHeaders: true,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    enabled: true,
  }
}

/** The edit form of a stored provider: key and headers are kept unless the admin replaces them. */
export function providerFormFrom(provider: ProviderRead): ProviderFormState {
  return {
    preset: provider.preset,
    name: provider.name,
    baseUrl: provider.base_url,
    apiKey: '',
    keyMode: provider.has_api_key ? 'keep' : 'replace',
    headers: [],
    replaceHeaders: provider.extra_header_names.length === 0,
    timeoutSeconds: provider.timeout_seconds,
    enabled: provider.enabled,
  }
}

export function isHttpUrl(value: string): boolean {
  const text = value.trim()
  if (!/^https?:\/\//i.test(text)) return false
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

/** Rows with a name become headers; blank rows are ignored. */
export function headersObject(rows: HeaderRow[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const row of rows) {
    const name = row.name.trim()
    if (name) headers[name] = row.value
  }
  return headers
}

export type HeaderProblem = 'invalidName' | 'duplicate' | 'missingName' | 'lineBreak' | 'tooMany'

/** The first problem of a header row, or null. Names compare case-insensitively, as HTTP does. */
export function headerRowProblem(rows: HeaderRow[], index: number): HeaderProblem | null {
  const row = rows[index]
  const name = row.name.trim()
  if (!name) return row.value ? 'missingName' : null
  if (!HEADER_NAME.test(name)) return 'invalidName'
  if (/[\r\n\0]/.test(row.value)) return 'lineBreak'
  const lower = name.toLowerCase()
  if (rows.slice(0, index).some((other) => other.name.trim().toLowerCase() === lower)) return 'duplicate'
  return null
}

export function headersProblem(rows: HeaderRow[]): HeaderProblem | null {
  if (Object.keys(headersObject(rows)).length > MAX_HEADERS) return 'tooMany'
  for (let index = 0; index < rows.length; index++) {
    const problem = headerRowProblem(rows, index)
    if (problem) return problem
  }
  return null
}

export function buildProviderCreate(form: ProviderFormState): ProviderCreate {
  const apiKey = form.apiKey.trim()
  const baseUrl = form.baseUrl.trim()
  return {
    name: form.name.trim(),
    preset: form.preset,
    ...(baseUrl ? { base_url: baseUrl } : {}),
    ...(apiKey ? { api_key: apiKey } : {}),
    extra_headers: headersObject(form.headers),
    timeout_seconds: form.timeoutSeconds,
    enabled: form.enabled,
  }
}

/**
 * Only what changed. `api_key` is left out to keep the stored key, `""` removes it and a value
 * replaces it; `extra_headers` is only sent when the admin chose to replace them all.
 */
export function buildProviderUpdate(form: ProviderFormState, original: ProviderRead): ProviderUpdate {
  const body: ProviderUpdate = {}
  const name = form.name.trim()
  if (name !== original.name) body.name = name
  const baseUrl = form.baseUrl.trim()
  if (baseUrl && baseUrl !== original.base_url) body.base_url = baseUrl
  if (form.timeoutSeconds !== original.timeout_seconds) body.timeout_seconds = form.timeoutSeconds
  if (form.enabled !== original.enabled) body.enabled = form.enabled
  if (form.keyMode === 'remove') {
    if (original.has_api_key) body.api_key = ''
  } else if (form.keyMode === 'replace') {
    const apiKey = form.apiKey.trim()
    if (apiKey) body.api_key = apiKey
  }
  if (form.replaceHeaders) {
    const headers = headersObject(form.headers)
    if (Object.keys(headers).length > 0 || original.extra_header_names.length > 0) body.extra_headers = headers
  }
  return body
}

/**
 * Apply a newly picked preset: the name and base URL follow the preset unless the admin typed
 * their own (a value that still equals the previous preset's default counts as not typed).
 */
export function applyPreset(form: ProviderFormState, next: Preset | undefined, previous: Preset | undefined): void {
  if (!next) return
  if (!form.name.trim() || (previous && form.name === previous.name)) form.name = next.name
  if (!form.baseUrl.trim() || (previous && form.baseUrl === previous.base_url)) form.baseUrl = next.base_url
}

/** Presets grouped by wire protocol, in a stable order, each group sorted as the server lists it. */
export function groupPresets(presets: Preset[]): { protocol: Protocol; presets: Preset[] }[] {
  const known = PROTOCOL_ORDER.filter((protocol) => presets.some((p) => p.protocol === protocol))
  const others = [...new Set(presets.map((p) => p.protocol))].filter((p) => !PROTOCOL_ORDER.includes(p))
  return [...known, ...others].map((protocol) => ({
    protocol,
    presets: presets.filter((p) => p.protocol === protocol),
  }))
}

type Translate = (key: string, named: Record<string, unknown>) => string

/** "3 added, 1 unavailable, 5 unchanged" in the current language. */
export function summarizeRefresh(summary: RefreshSummary, t: Translate): string {
  const parts: string[] = []
  if (summary.added.length) parts.push(t('providers.summary.added', { n: summary.added.length }))
  if (summary.restored.length) parts.push(t('providers.summary.restored', { n: summary.restored.length }))
  if (summary.unavailable.length) parts.push(t('providers.summary.unavailable', { n: summary.unavailable.length }))
  parts.push(t('providers.summary.unchanged', { n: summary.unchanged }))
  return parts.join(t('providers.summary.separator', {}))
}
