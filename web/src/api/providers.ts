import { http } from './http'
import type { RequestOptions } from './http'
import type {
  ConnectionTestRequest,
  ConnectionTestResult,
  Preset,
  ProviderCreate,
  ProviderRead,
  ProviderUpdate,
  RefreshSummary,
} from './types'

export const providersApi = {
  presets: () => http.get<Preset[]>('/api/providers/presets'),
  list: () => http.get<ProviderRead[]>('/api/providers'),
  get: (id: number) => http.get<ProviderRead>(`/api/providers/${id}`),
  create: (body: ProviderCreate, options?: RequestOptions) => http.post<ProviderRead>('/api/providers', body, options),
  update: (id: number, body: ProviderUpdate, options?: RequestOptions) =>
    http.patch<ProviderRead>(`/api/providers/${id}`, body, options),
  remove: (id: number) => http.delete(`/api/providers/${id}`),
  refreshModels: (id: number, options?: RequestOptions) =>
    http.post<RefreshSummary>(`/api/providers/${id}/refresh-models`, undefined, options),
  test: (id: number, body: ConnectionTestRequest = {}, options?: RequestOptions) =>
    http.post<ConnectionTestResult>(`/api/providers/${id}/test`, body, options),
}
