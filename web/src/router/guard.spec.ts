import { describe, expect, it } from 'vitest'
import type { RouteLocationNormalized, RouteMeta } from 'vue-router'
import { resolveAccess } from './guard'

function to(fullPath: string, meta: RouteMeta = {}): RouteLocationNormalized {
  return { fullPath, meta } as RouteLocationNormalized
}

const visitor = { isAuthenticated: false, isAdmin: false }
const member = { isAuthenticated: true, isAdmin: false }
const admin = { isAuthenticated: true, isAdmin: true }

describe('resolveAccess', () => {
  it('sends visitors of protected pages to login with the page to come back to', () => {
    expect(resolveAccess(to('/profile?tab=1'), visitor)).toEqual({
      name: 'login',
      query: { redirect: '/profile?tab=1' },
    })
  })

  it('lets visitors open public pages', () => {
    expect(resolveAccess(to('/login', { public: true, guest: true }), visitor)).toBe(true)
    expect(resolveAccess(to('/nowhere', { public: true }), visitor)).toBe(true)
  })

  it('sends signed-in users away from login and register', () => {
    expect(resolveAccess(to('/login', { public: true, guest: true }), member)).toEqual({ name: 'home' })
  })

  it('keeps admin pages for admins', () => {
    expect(resolveAccess(to('/admin/users', { admin: true }), member)).toEqual({ name: 'home' })
    expect(resolveAccess(to('/admin/users', { admin: true }), admin)).toBe(true)
  })

  it('lets signed-in users open ordinary pages', () => {
    expect(resolveAccess(to('/profile'), member)).toBe(true)
  })
})
