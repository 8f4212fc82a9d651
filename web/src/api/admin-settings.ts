import { http } from './http'
import type { AppSettingsRead, AppSettingsUpdate } from './types'

export const adminSettingsApi = {
  get: () => http.get<AppSettingsRead>('/api/admin/settings'),
  update: (body: AppSettingsUpdate) => http.patch<AppSettingsRead>('/api/admin/settings', body),
}
