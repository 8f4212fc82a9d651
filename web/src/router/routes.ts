import type { RouteRecordRaw } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** Only for visitors who are not signed in (login, register). */
    guest?: boolean
    /** Only for the admin role. */
    admin?: boolean
    /** i18n key of the page title. */
    title?: string
  }
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/login/index.vue'),
    meta: { public: true, guest: true, title: 'login.title' },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('@/views/register/index.vue'),
    meta: { public: true, guest: true, title: 'register.title' },
  },
  {
    path: '/',
    component: () => import('@/layouts/app-layout/index.vue'),
    children: [
      {
        path: '',
        name: 'home',
        component: () => import('@/views/home/index.vue'),
        meta: { title: 'nav.home' },
      },
      {
        path: 'profile',
        name: 'profile',
        component: () => import('@/views/profile/index.vue'),
        meta: { title: 'profile.title' },
      },
      {
        path: 'admin/providers',
        name: 'admin-providers',
        component: () => import('@/views/admin/providers/index.vue'),
        meta: { admin: true, title: 'nav.providers' },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('@/views/admin/users/index.vue'),
        meta: { admin: true, title: 'nav.users' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('@/views/admin/audit/index.vue'),
        meta: { admin: true, title: 'nav.audit' },
      },
      {
        path: 'admin/settings',
        name: 'admin-settings',
        component: () => import('@/views/admin/settings/index.vue'),
        meta: { admin: true, title: 'nav.settings' },
      },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/not-found/index.vue'),
    meta: { public: true, title: 'notFound.title' },
  },
]
