import { http } from './http'
import type { Dashboard } from './types'
import type { RangeQuery } from './usage'

export const dashboardApi = {
  get: (range: RangeQuery = {}) => http.get<Dashboard>('/api/admin/dashboard', { query: { ...range } }),
}
