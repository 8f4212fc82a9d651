import { describe, expect, it } from 'vitest'
import { difyOptionId, lanesBody } from '@/views/compare/lane-parameters'

describe('Dify apps as comparison lanes', () => {
  it('turns a picked Dify app into a dify_app_id lane, without model parameters', () => {
    const picked = [4, difyOptionId(9)]
    expect(picked).toEqual([4, -9])
    expect(lanesBody(picked, { 4: { temperature: 0.3 }, [-9]: { temperature: 1 } })).toEqual([
      { model_id: 4, parameters: { temperature: 0.3 } },
      { dify_app_id: 9 },
    ])
  })
})
