import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { i18n } from '@/i18n'
import { makeMessage } from '@/test/fixtures'
import MessageItem from './message-item.vue'
import { variantPosition } from './variants'

describe('variantPosition', () => {
  it('has nothing to switch for a message without siblings', () => {
    expect(variantPosition({ id: 4, variant_ids: [] })).toBeNull()
    expect(variantPosition({ id: 4, variant_ids: [4] })).toBeNull()
  })

  it('places a message among its variants, oldest first', () => {
    expect(variantPosition({ id: 4, variant_ids: [4, 9, 12] })).toEqual({
      index: 1,
      total: 3,
      prevId: null,
      nextId: 9,
      label: '1/3',
    })
    expect(variantPosition({ id: 9, variant_ids: [4, 9, 12] })).toMatchObject({ label: '2/3', prevId: 4, nextId: 12 })
    expect(variantPosition({ id: 12, variant_ids: [4, 9, 12] })).toMatchObject({ label: '3/3', prevId: 9, nextId: null })
  })

  it('ignores a list that does not contain the message', () => {
    expect(variantPosition({ id: 5, variant_ids: [4, 9] })).toBeNull()
  })
})

describe('message variant switcher', () => {
  beforeEach(() => {
    i18n.global.locale.value = 'en'
  })
  afterEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })

  function mountItem(id: number, variantIds: number[], busy = false) {
    const message = makeMessage({ id, role: 'assistant', content: 'Answer', variant_ids: variantIds, model_name: 'm' })
    return mount(MessageItem, {
      props: { message, models: [], busy },
      global: { plugins: [i18n, ElementPlus] },
    })
  }

  it('shows "2/3" and asks for the neighbouring variants', async () => {
    const wrapper = mountItem(9, [4, 9, 12])
    expect(wrapper.get('[data-testid="variant-label"]').text()).toBe('2/3')
    await wrapper.get('[data-testid="variant-prev"]').trigger('click')
    await wrapper.get('[data-testid="variant-next"]').trigger('click')
    expect(wrapper.emitted('switch')).toEqual([[4], [12]])
  })

  it('disables the arrow at either end and while an answer streams', () => {
    const first = mountItem(4, [4, 9])
    expect(first.get('[data-testid="variant-prev"]').attributes('disabled')).toBeDefined()
    expect(first.get('[data-testid="variant-next"]').attributes('disabled')).toBeUndefined()
    const busy = mountItem(4, [4, 9], true)
    expect(busy.get('[data-testid="variant-next"]').attributes('disabled')).toBeDefined()
  })

  it('has no switcher for a single answer', () => {
    expect(mountItem(4, [4]).find('[data-testid="variant-label"]').exists()).toBe(false)
  })
})
