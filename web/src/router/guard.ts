import type { RouteLocationNormalized, RouteLocationRaw, Router } from 'vue-router'
import { setSessionHooks } from '@/api/http'
import { useAuthStore } from '@/stores/auth'

export interface Viewer {
  isAuthenticated: boolean
  isAdmin: boolean
}

/** Where a navigation may go: true to continue, or the location to go to instead. */
export function resolveAccess(to: RouteLocationNormalized, viewer: Viewer): true | RouteLocationRaw {
  if (to.meta.guest && viewer.isAuthenticated) return { name: 'home' }
  if (to.meta.public) return true
  if (!viewer.isAuthenticated) return { name: 'login', query: { redirect: to.fullPath } }
  if (to.meta.admin && !viewer.isAdmin) return { name: 'home' }
  return true
}

export function installGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const auth = useAuthStore()
    await auth.restore()
    return resolveAccess(to, auth)
  })

  setSessionHooks({
    onAuthLost: () => {
      const current = router.currentRoute.value
      if (!current.meta.public) {
        void router.replace({ name: 'login', query: { redirect: current.fullPath } })
      }
    },
  })
}
