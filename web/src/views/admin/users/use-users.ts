import { ElMessage, ElMessageBox } from 'element-plus'
import { onMounted, onScopeDispose, reactive, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import type { Role, UserRead, UserUpdate } from '@/api/types'
import { usersApi } from '@/api/users'
import { usePagedList } from '@/composables/use-paged-list'

export type StatusFilter = '' | 'active' | 'disabled'

const SEARCH_DELAY_MS = 300

export function useUsers() {
  const { t } = useI18n()
  const filters = reactive({ q: '', role: '' as Role | '', status: '' as StatusFilter })

  const list = usePagedList<UserRead>((page, pageSize) =>
    usersApi.list({
      q: filters.q.trim() || undefined,
      role: filters.role || undefined,
      is_active: filters.status ? filters.status === 'active' : undefined,
      page,
      page_size: pageSize,
    }),
  )

  let searchTimer: ReturnType<typeof setTimeout> | undefined
  watch(
    () => filters.q,
    () => {
      clearTimeout(searchTimer)
      searchTimer = setTimeout(() => void list.reload(), SEARCH_DELAY_MS)
    },
  )
  watch(() => [filters.role, filters.status], () => void list.reload())
  onScopeDispose(() => clearTimeout(searchTimer))
  onMounted(list.load)

  function replace(updated: UserRead): void {
    list.items.value = list.items.value.map((user) => (user.id === updated.id ? updated : user))
  }

  async function update(user: UserRead, body: UserUpdate): Promise<void> {
    try {
      replace(await usersApi.update(user.id, body))
      ElMessage.success(t('users.updated'))
    } catch {
      // The request client already showed the error; the row keeps its previous value.
    }
  }

  async function remove(user: UserRead): Promise<void> {
    try {
      await ElMessageBox.confirm(t('users.deleteConfirm', { email: user.email }), t('users.deleteTitle'), {
        type: 'warning',
        confirmButtonText: t('common.delete'),
        cancelButtonText: t('common.cancel'),
      })
    } catch {
      return
    }
    try {
      await usersApi.remove(user.id)
      ElMessage.success(t('users.deleted'))
      await list.load()
    } catch {
      // The request client already showed the error.
    }
  }

  return {
    filters,
    ...list,
    setActive: (user: UserRead, isActive: boolean) => update(user, { is_active: isActive }),
    setRole: (user: UserRead, role: Role) => update(user, { role }),
    remove,
  }
}
