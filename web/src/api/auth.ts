import { http, refreshSession } from './http'
import type {
  AuthConfig,
  LoginLockRead,
  LoginRequest,
  PasswordChange,
  ProfileUpdate,
  RegisterRequest,
  TokenResponse,
  UserRead,
} from './types'
import type { RequestOptions } from './http'

export const authApi = {
  config: (options?: RequestOptions) => http.get<AuthConfig>('/api/auth/config', options),
  register: (body: RegisterRequest, options?: RequestOptions) => http.post<UserRead>('/api/auth/register', body, options),
  login: (body: LoginRequest, options?: RequestOptions) => http.post<TokenResponse>('/api/auth/login', body, options),
  refresh: refreshSession,
  logout: () => http.post<void>('/api/auth/logout', undefined, { toast: false }),
  updateMe: (body: ProfileUpdate) => http.patch<UserRead>('/api/auth/me', body),
  changePassword: (body: PasswordChange, options?: RequestOptions) => http.post<void>('/api/auth/password', body, options),
  locks: () => http.get<LoginLockRead[]>('/api/auth/locks'),
  clearLock: (kind: LoginLockRead['kind'], key: string) =>
    http.delete(`/api/auth/locks/${encodeURIComponent(kind)}/${encodeURIComponent(key)}`),
}
