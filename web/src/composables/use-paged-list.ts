import { ref, shallowRef, type Ref } from 'vue'

export interface PageResult<T> {
  items: T[]
  total: number
}

export const DEFAULT_PAGE_SIZE = 20

/** Items, total and paging state of a server-paginated list; stale responses are ignored. */
export function usePagedList<T>(fetchPage: (page: number, pageSize: number) => Promise<PageResult<T>>) {
  const items = shallowRef<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(DEFAULT_PAGE_SIZE)
  const loading = ref(false)
  let latest = 0

  async function load(): Promise<void> {
    const ticket = ++latest
    loading.value = true
    try {
      const result = await fetchPage(page.value, pageSize.value)
      if (ticket !== latest) return
      items.value = result.items
      total.value = result.total
    } catch {
      // The request client already told the user; the previous rows stay visible.
    } finally {
      if (ticket === latest) loading.value = false
    }
  }

  function reload(): Promise<void> {
    page.value = 1
    return load()
  }

  return { items, total, page, pageSize, loading, load, reload }
}
