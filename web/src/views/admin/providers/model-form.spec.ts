import { describe, expect, it } from 'vitest'
import { makeModel } from '@/test/fixtures'
import {
  buildModelCreate,
  buildModelUpdate,
  cleanParameters,
  emptyModelForm,
  formatContextLength,
  formatPrice,
  modelFormFrom,
  parseParameters,
} from './model-form'

describe('cleanParameters', () => {
  it('drops unset and empty fields', () => {
    expect(cleanParameters(parseParameters({}))).toEqual({})
    expect(
      cleanParameters({
        temperature: 0.7,
        top_p: null,
        max_tokens: null,
        presence_penalty: 0,
        frequency_penalty: Number.NaN,
        stop: [],
        reasoning_effort: null,
      }),
    ).toEqual({ temperature: 0.7, presence_penalty: 0 })
  })

  it('keeps zero values, rounds max_tokens, de-duplicates stop words and keeps at most four', () => {
    expect(
      cleanParameters({
        temperature: 0,
        top_p: 1,
        max_tokens: 512.4,
        presence_penalty: -2,
        frequency_penalty: 2,
        stop: ['###', '', '###', 'END', 'a', 'b', 'c'],
        reasoning_effort: 'high',
      }),
    ).toEqual({
      temperature: 0,
      top_p: 1,
      max_tokens: 512,
      presence_penalty: -2,
      frequency_penalty: 2,
      stop: ['###', 'END', 'a', 'b'],
      reasoning_effort: 'high',
    })
  })
})

describe('parseParameters', () => {
  it('reads a stored preset defensively', () => {
    expect(
      parseParameters({ temperature: 0.2, max_tokens: '256', stop: ['x', 3], reasoning_effort: 'extreme', extra: 1 }),
    ).toEqual({
      temperature: 0.2,
      top_p: null,
      max_tokens: 256,
      presence_penalty: null,
      frequency_penalty: null,
      stop: ['x'],
      reasoning_effort: null,
    })
  })
})

describe('buildModelUpdate', () => {
  it('round-trips a stored model with every editable field', () => {
    const model = makeModel({
      display_name: 'Fast',
      capabilities: ['chat', 'vision', 'unknown-cap'],
      context_length: 131072,
      input_price_per_mtok: '0.150000',
      output_price_per_mtok: '0.600000',
      parameters: { temperature: 0.5, stop: ['END'] },
      enabled: true,
      visibility: 'restricted',
      allowed_roles: ['admin'],
      allowed_user_ids: [7],
    })
    expect(buildModelUpdate(modelFormFrom(model))).toEqual({
      display_name: 'Fast',
      capabilities: ['chat', 'vision'],
      context_length: 131072,
      input_price_per_mtok: 0.15,
      output_price_per_mtok: 0.6,
      parameters: { temperature: 0.5, stop: ['END'] },
      enabled: true,
      visibility: 'restricted',
      allowed_roles: ['admin'],
      allowed_user_ids: [7],
    })
  })

  it('leaves out unknown numbers and clears the audience when visible to all', () => {
    const form = modelFormFrom(makeModel({ allowed_roles: ['user'], allowed_user_ids: [2] }))
    form.displayName = '  '
    const body = buildModelUpdate(form)
    expect(body).not.toHaveProperty('display_name')
    expect(body).not.toHaveProperty('context_length')
    expect(body).not.toHaveProperty('input_price_per_mtok')
    expect(body).toMatchObject({ visibility: 'all', allowed_roles: [], allowed_user_ids: [], parameters: {} })
  })

  it('builds a manual add with a trimmed model id', () => {
    const form = { ...emptyModelForm(), modelId: ' my-model ', displayName: 'Mine' }
    expect(buildModelCreate(form)).toMatchObject({
      model_id: 'my-model',
      display_name: 'Mine',
      capabilities: ['chat'],
      enabled: true,
    })
  })
})

describe('formatting', () => {
  it('formats prices and context lengths', () => {
    expect(formatPrice('0.150000')).toBe('$0.15')
    expect(formatPrice(null)).toBe('—')
    expect(formatPrice('12')).toBe('$12')
    expect(formatContextLength(131072)).toBe('128K')
    expect(formatContextLength(1048576)).toBe('1M')
    expect(formatContextLength(8000)).toBe('8,000')
    expect(formatContextLength(null)).toBe('—')
  })
})
