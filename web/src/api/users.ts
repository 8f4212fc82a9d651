import { http } from './http'
import type { RequestOptions } from './http'
import type { PasswordReset, Role, UserCreate, UserPage, UserRead, UserUpdate } from './types'

export interface UserQuery {
  q?: string
  role?: Role
  is_active?: boolean
  page: number
  page_size: number
}

export const usersApi = {
  list: (query: UserQuery) => http.get<UserPage>('/api/users', { query: { ...query } }),
  create: (body: UserCreate, options?: RequestOptions) => http.post<UserRead>('/api/users', body, options),
  update: (id: number, body: UserUpdate) => http.patch<UserRead>(`/api/users/${id}`, body),
  resetPassword: (id: number, body: PasswordReset, options?: RequestOptions) =>
    http.post<void>(`/api/users/${id}/password`, body, options),
  remove: (id: number) => http.delete(`/api/users/${id}`),
}
