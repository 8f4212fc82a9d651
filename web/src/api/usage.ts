import { http, request } from './http'
import type { RequestOptions } from './http'
import type { MyUsage, QuotaRead, QuotaUpdate } from './types'

/** `since` / `until` as ISO date-times with a time zone; both optional (default: the last 30 days). */
export interface RangeQuery {
  since?: string
  until?: string
}

export const usageApi = {
  me: (range: RangeQuery = {}) => http.get<MyUsage>('/api/usage/me', { query: { ...range } }),
  quotas: () => http.get<QuotaRead[]>('/api/usage/quotas'),
  quota: (userId: number) => http.get<QuotaRead>(`/api/usage/quotas/${userId}`),
  setQuota: (userId: number, body: QuotaUpdate, options?: RequestOptions) =>
    request<QuotaRead>('PUT', `/api/usage/quotas/${userId}`, { ...options, body }),
  resetQuota: (userId: number) => http.delete(`/api/usage/quotas/${userId}`),
}
