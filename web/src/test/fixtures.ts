import type { TokenResponse, UserRead } from '@/api/types'

export function makeUser(overrides: Partial<UserRead> = {}): UserRead {
  return {
    id: 1,
    email: 'ada@example.com',
    display_name: 'Ada',
    role: 'user',
    is_active: true,
    created_at: '2025-01-01T00:00:00Z',
    last_login_at: null,
    ...overrides,
  }
}

export function makeSession(token = 'token-1', user: UserRead = makeUser()): TokenResponse {
  return { access_token: token, token_type: 'bearer', expires_in: 900, user }
}
