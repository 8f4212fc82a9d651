import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authApi } from '@/api/auth'
import { setAccessToken, setSessionHooks } from '@/api/http'
import type { RequestOptions } from '@/api/http'
import type { LoginRequest, ProfileUpdate, TokenResponse, UserRead } from '@/api/types'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<UserRead | null>(null)
  const token = ref<string | null>(null)
  let restoring: Promise<void> | null = null

  const isAuthenticated = computed(() => user.value !== null)
  const isAdmin = computed(() => user.value?.role === 'admin')

  function applySession(session: TokenResponse | null): void {
    token.value = session?.access_token ?? null
    user.value = session?.user ?? null
    setAccessToken(token.value)
  }

  /** Restore the session from the refresh cookie, once per page load. */
  function restore(): Promise<void> {
    restoring ??= authApi.refresh().then(applySession)
    return restoring
  }

  async function login(body: LoginRequest, options?: RequestOptions): Promise<UserRead> {
    const session = await authApi.login(body, options)
    applySession(session)
    return session.user
  }

  /** Sign out locally in any case; the server call only revokes the refresh cookie. */
  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } catch {
      // Unreachable server or expired session: there is nothing left to revoke from here.
    }
    applySession(null)
  }

  async function updateProfile(body: ProfileUpdate): Promise<void> {
    user.value = await authApi.updateMe(body)
  }

  setSessionHooks({ onSession: applySession })

  return { user, token, isAuthenticated, isAdmin, restore, login, logout, updateProfile }
})
