import { http } from './http'
import type { RequestOptions } from './http'
import type { ModelAdminRead, ModelCreate, ModelRead, ModelUpdate } from './types'

export const modelsApi = {
  /** The models the signed-in user may use (enabled, available, visible to them). */
  list: () => http.get<ModelRead[]>('/api/models'),
  /** Every model of one provider, with its admin fields (admin only). */
  listForProvider: (providerId: number) => http.get<ModelAdminRead[]>(`/api/providers/${providerId}/models`),
  create: (providerId: number, body: ModelCreate, options?: RequestOptions) =>
    http.post<ModelAdminRead>(`/api/providers/${providerId}/models`, body, options),
  update: (id: number, body: ModelUpdate, options?: RequestOptions) =>
    http.patch<ModelAdminRead>(`/api/models/${id}`, body, options),
  remove: (id: number) => http.delete(`/api/models/${id}`),
}
