import { http } from './http'
import type { AuditPage } from './types'

export interface AuditQuery {
  actor?: string
  action?: string
  since?: string
  until?: string
  page: number
  page_size: number
}

export const auditApi = {
  list: (query: AuditQuery) => http.get<AuditPage>('/api/audit', { query: { ...query } }),
  actions: () => http.get<string[]>('/api/audit/actions'),
}
