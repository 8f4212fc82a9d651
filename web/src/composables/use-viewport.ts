import { onScopeDispose, ref, type Ref } from 'vue'

export const MOBILE_QUERY = '(max-width: 767px)'

/** True while the viewport is narrower than 768px. */
export function useIsMobile(): Ref<boolean> {
  const media = window.matchMedia?.(MOBILE_QUERY)
  const isMobile = ref(media?.matches ?? false)
  if (media) {
    const update = (event: MediaQueryListEvent) => {
      isMobile.value = event.matches
    }
    media.addEventListener('change', update)
    onScopeDispose(() => media.removeEventListener('change', update))
  }
  return isMobile
}
