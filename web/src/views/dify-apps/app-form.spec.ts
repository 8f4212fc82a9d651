import { describe, expect, it } from 'vitest'
import type { DifyAppRead } from '@/api/dify'
import { createBody, emptyForm, formFrom, updateBody, usesInputVariable } from './app-form'

const app: DifyAppRead = {
  id: 3,
  owner_id: 1,
  name: 'Helpdesk',
  base_url: 'https://dify.example.com/v1',
  app_type: 'chat',
  api_key_hint: 'app…1234',
  input_variable: 'query',
  shared: false,
  enabled: true,
  status: 'ok',
  editable: true,
  last_test: null,
  last_used_at: null,
  created_at: '2026-11-23T12:00:00Z',
  updated_at: '2026-11-23T12:00:00Z',
}

describe('Dify app form', () => {
  it('builds a trimmed create body', () => {
    const form = { ...emptyForm(), name: ' Desk ', baseUrl: ' https://x.test/v1 ', apiKey: ' app-k ' }
    expect(createBody(form)).toEqual({
      name: 'Desk',
      base_url: 'https://x.test/v1',
      api_key: 'app-k',
      app_type: 'chat',
      input_variable: 'query',
      shared: false,
      enabled: true,
    })
  })

  it('sends only what changed and keeps the key when left blank', () => {
    const form = formFrom(app)
    expect(form.apiKey).toBe('')
    expect(updateBody(form, app)).toEqual({})
    form.name = 'Support'
    form.appType = 'workflow'
    form.apiKey = 'app-new'
    expect(updateBody(form, app)).toEqual({ name: 'Support', app_type: 'workflow', api_key: 'app-new' })
  })

  it('asks for the input variable only where Dify needs one', () => {
    expect(usesInputVariable('chat')).toBe(false)
    expect(usesInputVariable('agent')).toBe(false)
    expect(usesInputVariable('completion')).toBe(true)
    expect(usesInputVariable('workflow')).toBe(true)
  })
})
