import { authorizedFetch, http, toApiError } from './http'
import type { components } from './schema'

type Schemas = components['schemas']

export type KnowledgeBaseRead = Schemas['KnowledgeBaseRead']
export type KnowledgeBaseCreate = Schemas['KnowledgeBaseCreate']
export type KnowledgeBaseUpdate = Schemas['KnowledgeBaseUpdate']
export type KnowledgeBasePage = Schemas['Page_KnowledgeBaseRead_']
export type KnowledgeDocumentRead = Schemas['DocumentRead']
export type KnowledgeChunkRead = Schemas['ChunkRead']
export type RetrievalRequest = Schemas['RetrievalRequest']
export type RetrievalResult = Schemas['RetrievalResult']
export type KnowledgeSource = Schemas['Source']

const BASE = '/api/knowledge-bases'

export const ACCEPTED_FILES = '.txt,.text,.md,.markdown,.html,.htm,.pdf,.docx'

export const knowledgeApi = {
  list: (page = 1, pageSize = 100) => http.get<KnowledgeBasePage>(BASE, { query: { page, page_size: pageSize } }),
  get: (id: number) => http.get<KnowledgeBaseRead>(`${BASE}/${id}`),
  create: (body: KnowledgeBaseCreate) => http.post<KnowledgeBaseRead>(BASE, body),
  update: (id: number, body: KnowledgeBaseUpdate) => http.patch<KnowledgeBaseRead>(`${BASE}/${id}`, body),
  remove: (id: number) => http.delete(`${BASE}/${id}`),
  documents: (id: number) => http.get<KnowledgeDocumentRead[]>(`${BASE}/${id}/documents`),
  chunks: (id: number, documentId: number) =>
    http.get<KnowledgeChunkRead[]>(`${BASE}/${id}/documents/${documentId}/chunks`),
  /** Multipart upload; rejects with the server's `ApiError` (409 duplicate, 413, 422). No toast. */
  async upload(id: number, file: Blob, filename: string): Promise<KnowledgeDocumentRead> {
    const form = new FormData()
    form.append('file', file, filename)
    const res = await authorizedFetch(`${BASE}/${id}/documents`, {
      method: 'POST',
      body: form,
      headers: { Accept: 'application/json' },
    })
    if (!res.ok) throw await toApiError(res)
    return (await res.json()) as KnowledgeDocumentRead
  },
  reindex: (id: number, documentId: number) =>
    http.post<KnowledgeDocumentRead>(`${BASE}/${id}/documents/${documentId}/reindex`, {}),
  removeDocument: (id: number, documentId: number) => http.delete(`${BASE}/${id}/documents/${documentId}`),
  /** The original file as a blob (the link needs the Authorization header). */
  async download(id: number, documentId: number): Promise<Blob> {
    const res = await authorizedFetch(`${BASE}/${id}/documents/${documentId}/file`)
    if (!res.ok) throw await toApiError(res)
    return res.blob()
  },
  retrieve: (id: number, body: RetrievalRequest) => http.post<RetrievalResult>(`${BASE}/${id}/retrieve`, body),
}
