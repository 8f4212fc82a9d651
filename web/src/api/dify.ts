import { http } from './http'
import type { RequestOptions } from './http'
import type { components } from './schema'
import type { ChatSessionRead, ConnectionTestResult } from './types'

type Schemas = components['schemas']

export type DifyAppRead = Schemas['DifyAppRead']
export type DifyAppCreate = Schemas['DifyAppCreate']
export type DifyAppUpdate = Schemas['DifyAppUpdate']
export type DifyAppType = Schemas['DifyAppType']
export type DifyAppStatus = DifyAppRead['status']
export type DifyChatRead = Schemas['DifyChatRead']

export const DIFY_APP_TYPES: DifyAppType[] = ['chat', 'agent', 'completion', 'workflow']

export const difyApi = {
  list: () => http.get<DifyAppRead[]>('/api/dify-apps'),
  get: (id: number) => http.get<DifyAppRead>(`/api/dify-apps/${id}`),
  create: (body: DifyAppCreate, options?: RequestOptions) => http.post<DifyAppRead>('/api/dify-apps', body, options),
  update: (id: number, body: DifyAppUpdate, options?: RequestOptions) =>
    http.patch<DifyAppRead>(`/api/dify-apps/${id}`, body, options),
  remove: (id: number) => http.delete(`/api/dify-apps/${id}`),
  test: (id: number) => http.post<ConnectionTestResult>(`/api/dify-apps/${id}/test`),
  /** A chat session that talks to the app; its messages go through the chat API. */
  createChat: (id: number) => http.post<ChatSessionRead>(`/api/dify-apps/${id}/chat-sessions`, {}),
  chat: (sessionId: number) => http.get<DifyChatRead>(`/api/dify-apps/chat-sessions/${sessionId}`),
}
