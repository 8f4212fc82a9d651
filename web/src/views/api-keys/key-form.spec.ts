import { describe, expect, it } from 'vitest'
import type { ApiKeyRead } from '@/api/api-keys'
import { createBody, emptyForm, gatewayBaseUrl, stateOf, usageSnippet } from './key-form'

const key: ApiKeyRead = {
  id: 1,
  name: 'CI',
  prefix: 'lf-abcdefg',
  expires_at: null,
  model_allowlist: [],
  rate_limit_per_minute: null,
  last_used_at: null,
  revoked_at: null,
  created_at: '2026-11-23T12:00:00Z',
}

describe('API key form', () => {
  it('builds a trimmed create body; no rate limit when 0 or empty', () => {
    expect(createBody({ ...emptyForm(), name: ' CI bot ' })).toEqual({
      name: 'CI bot',
      expires_at: null,
      model_allowlist: [],
      rate_limit_per_minute: null,
    })
    const form = { name: 'x', expiresAt: '2030-01-01T00:00:00.000Z', models: ['p/m'], rateLimit: 60 }
    expect(createBody(form)).toMatchObject({ expires_at: '2030-01-01T00:00:00.000Z', rate_limit_per_minute: 60 })
    expect(createBody({ ...form, rateLimit: 0 }).rate_limit_per_minute).toBeNull()
  })

  it('tells active, revoked and expired keys apart', () => {
    const now = new Date('2026-11-24T00:00:00Z')
    expect(stateOf(key, now)).toBe('active')
    expect(stateOf({ ...key, expires_at: '2026-11-23T23:59:00Z' }, now)).toBe('expired')
    expect(stateOf({ ...key, expires_at: '2026-11-25T00:00:00Z' }, now)).toBe('active')
    expect(stateOf({ ...key, revoked_at: '2026-11-23T13:00:00Z' }, now)).toBe('revoked')
  })

  it('shows the base URL in a usage snippet', () => {
    const base = gatewayBaseUrl('https://llm.example.com/')
    expect(base).toBe('https://llm.example.com/v1')
    expect(usageSnippet(base, 'lf-secret')).toContain('OpenAI(base_url="https://llm.example.com/v1", api_key="lf-secret")')
  })
})
