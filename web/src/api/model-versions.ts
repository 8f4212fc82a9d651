import { http } from './http'
import type { components } from './schema'

type Schemas = components['schemas']

export type BaseModelRead = Schemas['BaseModelRead']
export type BaseModelCreate = Schemas['BaseModelCreate']
export type BaseModelUpdate = Schemas['BaseModelUpdate']
export type TemplateList = Schemas['TemplateList']
export type ModelVersionRead = Schemas['VersionRead']
export type ModelVersionPage = Schemas['Page_VersionRead_']
export type ServeStatus = Schemas['ServeStatus']
export type ExportStatus = Schemas['ExportStatus']

const BASE_MODELS = '/api/training/base-models'
const VERSIONS = '/api/model-versions'

export const baseModelsApi = {
  list: () => http.get<BaseModelRead[]>(BASE_MODELS),
  templates: () => http.get<TemplateList>(`${BASE_MODELS}/templates`),
  /** No toast: the dialog shows path and template problems under their fields. */
  create: (body: BaseModelCreate) => http.post<BaseModelRead>(BASE_MODELS, body, { toast: false }),
  update: (id: number, body: BaseModelUpdate) =>
    http.patch<BaseModelRead>(`${BASE_MODELS}/${id}`, body, { toast: false }),
  remove: (id: number) => http.delete(`${BASE_MODELS}/${id}`),
}

export const modelVersionsApi = {
  list: (page = 1, pageSize = 50) =>
    http.get<ModelVersionPage>(VERSIONS, { query: { page, page_size: pageSize } }),
  get: (id: number) => http.get<ModelVersionRead>(`${VERSIONS}/${id}`, { toast: false }),
  serve: (id: number) => http.post<ModelVersionRead>(`${VERSIONS}/${id}/serve`),
  stop: (id: number) => http.post<ModelVersionRead>(`${VERSIONS}/${id}/stop`),
  exportMerged: (id: number) => http.post<ModelVersionRead>(`${VERSIONS}/${id}/export`),
  remove: (id: number) => http.delete(`${VERSIONS}/${id}`),
}
