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
        path: 'prompts',
        name: 'prompts',
        component: () => import('@/views/prompts/index.vue'),
        meta: { title: 'nav.prompts' },
      },
      {
        path: 'prompts/:id(new|\\d+)',
        name: 'prompt-editor',
        component: () => import('@/views/prompts/editor.vue'),
        meta: { title: 'prompts.editor.title' },
      },
      {
        path: 'chat/:id(\\d+)?',
        name: 'chat',
        component: () => import('@/views/chat/index.vue'),
        meta: { title: 'nav.chat' },
      },
      {
        path: 'compare',
        name: 'compare',
        component: () => import('@/views/compare/index.vue'),
        meta: { title: 'nav.compare' },
      },
      {
        path: 'batch-tests',
        name: 'batch-tests',
        component: () => import('@/views/batch/index.vue'),
        meta: { title: 'nav.batch' },
      },
      {
        path: 'knowledge',
        name: 'knowledge',
        component: () => import('@/views/knowledge/index.vue'),
        meta: { title: 'nav.knowledge' },
      },
      {
        path: 'knowledge/:id(\\d+)',
        name: 'knowledge-base',
        component: () => import('@/views/knowledge/detail.vue'),
        meta: { title: 'nav.knowledge' },
      },
      {
        path: 'datasets',
        name: 'datasets',
        component: () => import('@/views/datasets/index.vue'),
        meta: { title: 'nav.datasets' },
      },
      {
        path: 'training',
        name: 'training',
        component: () => import('@/views/training/index.vue'),
        meta: { title: 'nav.training' },
      },
      {
        path: 'training/new',
        name: 'training-new',
        component: () => import('@/views/training/create.vue'),
        meta: { title: 'training.newJob' },
      },
      {
        path: 'training/:id(\\d+)',
        name: 'training-job',
        component: () => import('@/views/training/detail.vue'),
        meta: { title: 'nav.training' },
      },
      {
        path: 'training/:id(\\d+)/report',
        name: 'training-report',
        component: () => import('@/views/training/report.vue'),
        meta: { title: 'training.report' },
      },
      {
        path: 'models',
        name: 'model-versions',
        component: () => import('@/views/model-versions/index.vue'),
        meta: { title: 'nav.models' },
      },
      {
        path: 'dify-apps',
        name: 'dify-apps',
        component: () => import('@/views/dify-apps/index.vue'),
        meta: { title: 'nav.difyApps' },
      },
      {
        path: 'dify-apps/:appId(\\d+)/chat/:id(\\d+)?',
        name: 'dify-chat',
        component: () => import('@/views/dify-apps/chat.vue'),
        meta: { title: 'nav.difyApps' },
      },
      {
        path: 'api-keys',
        name: 'api-keys',
        component: () => import('@/views/api-keys/index.vue'),
        meta: { title: 'nav.apiKeys' },
      },
      {
        path: 'usage',
        name: 'usage',
        component: () => import('@/views/usage/index.vue'),
        meta: { title: 'nav.usage' },
      },
      {
        path: 'admin/dashboard',
        name: 'admin-dashboard',
        component: () => import('@/views/admin/dashboard/index.vue'),
        meta: { admin: true, title: 'nav.dashboard' },
      },
      {
        path: 'admin/quotas',
        name: 'admin-quotas',
        component: () => import('@/views/admin/quotas/index.vue'),
        meta: { admin: true, title: 'nav.quotas' },
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
