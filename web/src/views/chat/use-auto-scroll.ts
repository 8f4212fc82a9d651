import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

/** How close to the bottom (px) still counts as "at the bottom". */
export const STICK_THRESHOLD = 48

export function isAtBottom(el: Pick<HTMLElement, 'scrollHeight' | 'scrollTop' | 'clientHeight'>): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_THRESHOLD
}

/**
 * Keep a scroll container pinned to its bottom while its content grows (a streaming answer),
 * pause when the user scrolls up, resume when they come back down (or call `scrollToBottom`).
 */
export function useAutoScroll(container: Ref<HTMLElement | null>) {
  const stuck = ref(true)
  let observer: MutationObserver | null = null
  let frame = 0

  function onScroll(): void {
    const el = container.value
    if (el) stuck.value = isAtBottom(el)
  }

  /** Scrolling up by wheel pauses at once, even within the threshold. */
  function onWheel(event: WheelEvent): void {
    if (event.deltaY < 0) stuck.value = false
  }

  function scrollToBottom(): void {
    const el = container.value
    if (!el) return
    stuck.value = true
    el.scrollTop = el.scrollHeight
  }

  function follow(): void {
    if (frame || !stuck.value) return
    frame = requestAnimationFrame(() => {
      frame = 0
      const el = container.value
      if (el && stuck.value) el.scrollTop = el.scrollHeight
    })
  }

  onMounted(() => {
    const el = container.value
    if (!el) return
    el.addEventListener('scroll', onScroll, { passive: true })
    el.addEventListener('wheel', onWheel, { passive: true })
    observer = new MutationObserver(follow)
    observer.observe(el, { childList: true, subtree: true, characterData: true })
  })

  onBeforeUnmount(() => {
    container.value?.removeEventListener('scroll', onScroll)
    container.value?.removeEventListener('wheel', onWheel)
    observer?.disconnect()
    if (frame) cancelAnimationFrame(frame)
  })

  return { stuck, scrollToBottom, follow }
}
