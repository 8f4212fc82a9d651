import type { DifyAppCreate, DifyAppRead, DifyAppType, DifyAppUpdate } from '@/api/dify'

/** The dialog's fields; `apiKey` stays empty when editing unless a new key is typed. */
export interface DifyAppForm {
  name: string
  baseUrl: string
  apiKey: string
  appType: DifyAppType
  inputVariable: string
  shared: boolean
  enabled: boolean
}

export function emptyForm(): DifyAppForm {
  return { name: '', baseUrl: '', apiKey: '', appType: 'chat', inputVariable: 'query', shared: false, enabled: true }
}

export function formFrom(app: DifyAppRead): DifyAppForm {
  return {
    name: app.name,
    baseUrl: app.base_url,
    apiKey: '',
    appType: app.app_type,
    inputVariable: app.input_variable,
    shared: app.shared,
    enabled: app.enabled,
  }
}

/** Whether the input variable matters for this type (completion and workflow apps). */
export function usesInputVariable(type: DifyAppType): boolean {
  return type === 'completion' || type === 'workflow'
}

export function createBody(form: DifyAppForm): DifyAppCreate {
  return {
    name: form.name.trim(),
    base_url: form.baseUrl.trim(),
    api_key: form.apiKey.trim(),
    app_type: form.appType,
    input_variable: form.inputVariable.trim() || 'query',
    shared: form.shared,
    enabled: form.enabled,
  }
}

/** Only what changed; a blank key keeps the stored one. */
export function updateBody(form: DifyAppForm, app: DifyAppRead): DifyAppUpdate {
  const body: DifyAppUpdate = {}
  const next = createBody(form)
  if (next.name !== app.name) body.name = next.name
  if (next.base_url !== app.base_url) body.base_url = next.base_url
  if (next.api_key) body.api_key = next.api_key
  if (next.app_type !== app.app_type) body.app_type = next.app_type
  if (next.input_variable !== app.input_variable) body.input_variable = next.input_variable
  if (next.shared !== app.shared) body.shared = next.shared
  if (next.enabled !== app.enabled) body.enabled = next.enabled
  return body
}
