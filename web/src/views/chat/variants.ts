import type { ChatMessageRead } from '@/api/types'

export interface VariantPosition {
  /** 1-based position of the message among its variants. */
  index: number
  total: number
  /** The sibling to show for ‹ and ›, or null at either end. */
  prevId: number | null
  nextId: number | null
  /** "2/3" */
  label: string
}

/** Where a message stands among its variants; null when it has none (nothing to switch). */
export function variantPosition(message: Pick<ChatMessageRead, 'id' | 'variant_ids'>): VariantPosition | null {
  const ids = message.variant_ids ?? []
  if (ids.length < 2) return null
  const at = ids.indexOf(message.id)
  if (at === -1) return null
  return {
    index: at + 1,
    total: ids.length,
    prevId: at > 0 ? ids[at - 1]! : null,
    nextId: at < ids.length - 1 ? ids[at + 1]! : null,
    label: `${at + 1}/${ids.length}`,
  }
}
