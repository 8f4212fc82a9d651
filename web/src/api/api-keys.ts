import { http } from './http'
import type { RequestOptions } from './http'
import type { components } from './schema'

type Schemas = components['schemas']

export type ApiKeyRead = Schemas['ApiKeyRead']
export type ApiKeyCreate = Schemas['ApiKeyCreate']
export type ApiKeyCreated = Schemas['ApiKeyCreated']
export type GatewayModelName = Schemas['GatewayModelName']

export const apiKeysApi = {
  list: () => http.get<ApiKeyRead[]>('/api/api-keys'),
  /** The answer holds `secret`, shown this once. */
  create: (body: ApiKeyCreate, options?: RequestOptions) => http.post<ApiKeyCreated>('/api/api-keys', body, options),
  revoke: (id: number) => http.post<ApiKeyRead>(`/api/api-keys/${id}/revoke`, {}),
  remove: (id: number) => http.delete(`/api/api-keys/${id}`),
  /** The names /v1 knows the caller's models by: what an allowlist holds. */
  models: () => http.get<GatewayModelName[]>('/api/api-keys/models'),
}
