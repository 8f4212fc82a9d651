import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'
import BatchCellScores from './batch-cell-scores.vue'

describe('batch cell scores', () => {
  it('shows each score with the judge reason in full on hover', () => {
    const wrapper = mount(BatchCellScores, {
      props: {
        scores: {
          exact: { score: 0, passed: false, reason: null },
          judge: { score: 4, passed: null, reason: 'Close enough, <b>not</b> exact.' },
        },
      },
      global: { plugins: [ElementPlus] },
    })
    expect(wrapper.get('[data-testid="batch-cell-score-exact"]').text()).toBe('exact: 0')
    expect(wrapper.get('[data-testid="batch-cell-score-exact"] .el-tag').classes()).toContain('el-tag--danger')
    const reason = wrapper.get('[data-testid="batch-cell-score-judge"] [data-testid="batch-cell-reason"]')
    expect(reason.text()).toBe('Close enough, <b>not</b> exact.')
    expect(reason.attributes('title')).toBe('Close enough, <b>not</b> exact.')
    expect(reason.find('b').exists()).toBe(false)
    expect(wrapper.findAll('[data-testid="batch-cell-reason"]')).toHaveLength(1)
  })

  it('renders nothing for a run without scorers', () => {
    const wrapper = mount(BatchCellScores, { props: { scores: {} }, global: { plugins: [ElementPlus] } })
    expect(wrapper.find('[data-testid="batch-cell-scores"]').exists()).toBe(false)
  })
})
