import type { ApiKeyCreate, ApiKeyRead } from '@/api/api-keys'

export interface ApiKeyForm {
  name: string
  /** ISO date-time chosen in the picker; null: never expires. */
  expiresAt: string | null
  models: string[]
  /** 0 or empty: no limit. */
  rateLimit: number | null
}

export type KeyState = 'active' | 'revoked' | 'expired'

export function emptyForm(): ApiKeyForm {
  return { name: '', expiresAt: null, models: [], rateLimit: null }
}

export function createBody(form: ApiKeyForm): ApiKeyCreate {
  return {
    name: form.name.trim(),
    expires_at: form.expiresAt,
    model_allowlist: form.models,
    rate_limit_per_minute: form.rateLimit && form.rateLimit > 0 ? form.rateLimit : null,
  }
}

export function stateOf(key: ApiKeyRead, now: Date = new Date()): KeyState {
  if (key.revoked_at) return 'revoked'
  if (key.expires_at && new Date(key.expires_at) <= now) return 'expired'
  return 'active'
}

/** The base URL other tools use: this server's origin with /v1. */
export function gatewayBaseUrl(origin: string): string {
  return `${origin.replace(/\/+$/, '')}/v1`
}

export function usageSnippet(baseUrl: string, secret = 'lf-...'): string {
  return [
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${baseUrl}", api_key="${secret}")`,
    'print(client.models.list())',
  ].join('\n')
}
