import { mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'
import { i18n } from '@/i18n'
import { makeCompareLane, makeModel } from '@/test/fixtures'
import { lanesBody, setParams, setupFromLanes, type LaneParams } from './lane-parameters'
import LaneParameters from './lane-parameters.vue'

describe('lane parameters', () => {
  it('sends only the parameters that are set, lane by lane in the picked order', () => {
    const params: Record<number, LaneParams> = {
      3: { temperature: 0.2, top_p: null, max_tokens: 256 },
      1: { temperature: null },
    }
    expect(lanesBody([3, 1, 2], params)).toEqual([
      { model_id: 3, parameters: { temperature: 0.2, max_tokens: 256 } },
      { model_id: 1 },
      { model_id: 2 },
    ])
    expect(setParams({ temperature: 0 })).toEqual({ temperature: 0 })
    expect(setParams({ top_p: Number.NaN })).toBeUndefined()
  })

  it('takes the models and parameters back from a stored run, skipping hidden models', () => {
    const lanes = [
      makeCompareLane({ id: 2, position: 1, model_id: 8, parameters: { top_p: 0.5, stop: ['x'] } }),
      makeCompareLane({ id: 1, position: 0, model_id: 7, parameters: { temperature: 1.1 } }),
      makeCompareLane({ id: 3, position: 2, model_id: null, parameters: null }),
    ]
    expect(setupFromLanes(lanes)).toEqual({ modelIds: [7, 8], params: { 7: { temperature: 1.1 }, 8: { top_p: 0.5 } } })
  })

  it('edits a lane’s parameters with the model’s default as the placeholder', async () => {
    i18n.global.locale.value = 'en'
    const models = [makeModel({ id: 7, display_name: 'Alpha', parameters: { temperature: 0.7 } })]
    const wrapper = mount(LaneParameters, {
      props: { models, selected: [7], modelValue: {} as Record<number, LaneParams> },
      global: { plugins: [i18n, ElementPlus] },
    })
    const row = wrapper.get('[data-testid="compare-lane-params-7"]')
    expect(row.text()).toContain('Alpha')
    const temperature = row.get('[data-testid="compare-param-temperature-7"] input')
    expect(temperature.attributes('placeholder')).toBe('0.7')
    expect(row.get('[data-testid="compare-param-max_tokens-7"] input').attributes('placeholder')).toBe('default')
    await temperature.setValue('1.5')
    await temperature.trigger('change')
    const emitted = wrapper.emitted('update:modelValue')!
    expect(emitted.at(-1)).toEqual([{ 7: { temperature: 1.5 } }])
    i18n.global.locale.value = 'zh-CN'
  })
})
