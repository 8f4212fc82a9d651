import { describe, expect, it } from 'vitest'
import { makePreset, makeProvider } from '@/test/fixtures'
import {
  applyPreset,
  buildProviderCreate,
  buildProviderUpdate,
  emptyProviderForm,
  groupPresets,
  headerRowProblem,
  headersObject,
  headersProblem,
  isHttpUrl,
  providerFormFrom,
  summarizeRefresh,
} from './provider-form'

describe('buildProviderUpdate', () => {
  const original = makeProvider({ extra_header_names: ['X-Org'] })

  it('sends nothing for an untouched form: the key and headers are kept', () => {
    const form = providerFormFrom(original)
    expect(form.keyMode).toBe('keep')
    expect(form.replaceHeaders).toBe(false)
    expect(buildProviderUpdate(form, original)).toEqual({})
  })

  it('omits api_key while the key is kept, even if text was typed before going back to keep', () => {
    const form = { ...providerFormFrom(original), apiKey: 'typed', keyMode: 'keep' as const }
    expect(buildProviderUpdate(form, original)).not.toHaveProperty('api_key')
  })

  it('sends the trimmed new key when replaced, and nothing for an empty replacement', () => {
    const form = { ...providerFormFrom(original), keyMode: 'replace' as const, apiKey: '  sk-new  ' }
    expect(buildProviderUpdate(form, original)).toEqual({ api_key: 'sk-new' })
    expect(buildProviderUpdate({ ...form, apiKey: '   ' }, original)).toEqual({})
  })

  it('sends an empty string to remove a stored key', () => {
    const form = { ...providerFormFrom(original), keyMode: 'remove' as const }
    expect(buildProviderUpdate(form, original)).toEqual({ api_key: '' })
    expect(buildProviderUpdate(form, makeProvider({ has_api_key: false, api_key_hint: null }))).toEqual({})
  })

  it('sends only the fields that changed', () => {
    const form = {
      ...providerFormFrom(original),
      name: ' renamed ',
      baseUrl: 'http://other:1/v1',
      timeoutSeconds: 30,
      enabled: false,
    }
    expect(buildProviderUpdate(form, original)).toEqual({
      name: 'renamed',
      base_url: 'http://other:1/v1',
      timeout_seconds: 30,
      enabled: false,
    })
  })

  it('replaces all headers only when asked, and can clear them', () => {
    const form = providerFormFrom(original)
    form.replaceHeaders = true
    form.headers = [
      { name: ' X-New ', value: 'v' },
      { name: '', value: '' },
    ]
    expect(buildProviderUpdate(form, original)).toEqual({ extra_headers: { 'X-New': 'v' } })
    form.headers = []
    expect(buildProviderUpdate(form, original)).toEqual({ extra_headers: {} })
  })

  it('does not send an empty header map to a provider that has none', () => {
    const bare = makeProvider()
    const form = providerFormFrom(bare)
    expect(form.replaceHeaders).toBe(true)
    expect(buildProviderUpdate(form, bare)).toEqual({})
  })
})

describe('buildProviderCreate', () => {
  it('trims, drops an empty key and base URL, and keeps the headers', () => {
    const form = {
      ...emptyProviderForm(),
      preset: 'openai',
      name: ' main ',
      baseUrl: ' ',
      apiKey: '',
      headers: [{ name: 'OpenAI-Organization', value: 'org-1' }],
    }
    expect(buildProviderCreate(form)).toEqual({
      name: 'main',
      preset: 'openai',
      extra_headers: { 'OpenAI-Organization': 'org-1' },
      timeout_seconds: 60,
      enabled: true,
    })
    expect(buildProviderCreate({ ...form, apiKey: ' sk-1 ', baseUrl: 'http://x/v1' })).toMatchObject({
      api_key: 'sk-1',
      base_url: 'http://x/v1',
    })
  })
})

describe('applyPreset', () => {
  const openai = makePreset({ id: 'openai', name: 'OpenAI', base_url: 'https://api.openai.com/v1' })
  const deepseek = makePreset({ id: 'deepseek', name: 'DeepSeek', base_url: 'https://api.deepseek.com' })

  it('prefills name and base URL, and follows the preset while they are untouched', () => {
    const form = emptyProviderForm()
    applyPreset(form, openai, undefined)
    expect([form.name, form.baseUrl]).toEqual(['OpenAI', 'https://api.openai.com/v1'])
    applyPreset(form, deepseek, openai)
    expect([form.name, form.baseUrl]).toEqual(['DeepSeek', 'https://api.deepseek.com'])
  })

  it('keeps what the admin typed', () => {
    const form = { ...emptyProviderForm(), name: 'mine', baseUrl: 'http://127.0.0.1:9000/v1' }
    applyPreset(form, deepseek, openai)
    expect([form.name, form.baseUrl]).toEqual(['mine', 'http://127.0.0.1:9000/v1'])
  })
})

describe('validation helpers', () => {
  it('accepts only http(s) URLs', () => {
    expect(isHttpUrl('http://127.0.0.1:8000/v1')).toBe(true)
    expect(isHttpUrl(' https://api.openai.com/v1 ')).toBe(true)
    expect(isHttpUrl('ftp://example.com')).toBe(false)
    expect(isHttpUrl('api.openai.com')).toBe(false)
    expect(isHttpUrl('http://')).toBe(false)
  })

  it('finds header problems per row', () => {
    const rows = [
      { name: 'X-A', value: '1' },
      { name: 'x-a', value: '2' },
      { name: 'bad name', value: '3' },
      { name: '', value: 'orphan' },
      { name: 'X-B', value: 'line\nbreak' },
      { name: '', value: '' },
    ]
    expect(rows.map((_, i) => headerRowProblem(rows, i))).toEqual([
      null,
      'duplicate',
      'invalidName',
      'missingName',
      'lineBreak',
      null,
    ])
    expect(headersProblem(rows)).toBe('duplicate')
    expect(headersProblem([{ name: 'X-A', value: '1' }])).toBeNull()
    expect(headersObject(rows.slice(0, 1))).toEqual({ 'X-A': '1' })
  })

  it('refuses more than 20 headers', () => {
    const rows = Array.from({ length: 21 }, (_, i) => ({ name: `X-${i}`, value: 'v' }))
    expect(headersProblem(rows)).toBe('tooMany')
  })
})

describe('groupPresets', () => {
  it('groups by protocol with OpenAI first', () => {
    const groups = groupPresets([
      makePreset({ id: 'anthropic', protocol: 'anthropic' }),
      makePreset({ id: 'openai', protocol: 'openai' }),
      makePreset({ id: 'ollama', protocol: 'ollama' }),
      makePreset({ id: 'deepseek', protocol: 'openai' }),
    ])
    expect(groups.map((g) => [g.protocol, g.presets.map((p) => p.id)])).toEqual([
      ['openai', ['openai', 'deepseek']],
      ['anthropic', ['anthropic']],
      ['ollama', ['ollama']],
    ])
  })
})

describe('summarizeRefresh', () => {
  const t = (key: string, named: Record<string, unknown>) =>
    key.endsWith('separator') ? ', ' : `${String(named.n)} ${key.split('.').pop()}`

  it('lists only what happened, always with the unchanged count', () => {
    expect(
      summarizeRefresh({ added: ['a', 'b', 'c'], restored: [], unavailable: ['d'], unchanged: 5, total: 8 }, t),
    ).toBe('3 added, 1 unavailable, 5 unchanged')
    expect(summarizeRefresh({ added: [], restored: ['r'], unavailable: [], unchanged: 0, total: 1 }, t)).toBe(
      '1 restored, 0 unchanged',
    )
  })
})
