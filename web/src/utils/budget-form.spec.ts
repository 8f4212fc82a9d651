import { describe, expect, it } from 'vitest'
import { budgetLimits, costLimitProblem, limitInput, tokenLimitProblem } from './budget-form'

describe('budget form', () => {
  it('turns empty fields into null (unlimited)', () => {
    expect(budgetLimits({ tokens: '', cost: '  ' })).toEqual({ tokens: null, cost: null })
  })

  it('parses token limits, allowing thousands separators, and keeps costs as decimal strings', () => {
    expect(budgetLimits({ tokens: '1,000,000', cost: '12.5' })).toEqual({ tokens: 1_000_000, cost: '12.5' })
    expect(budgetLimits({ tokens: ' 0 ', cost: '007.25' })).toEqual({ tokens: 0, cost: '7.25' })
    expect(budgetLimits({ tokens: '', cost: '0' })).toEqual({ tokens: null, cost: '0' })
  })

  it('accepts whole token counts and costs with up to 4 decimals', () => {
    expect(tokenLimitProblem('')).toBeNull()
    expect(tokenLimitProblem('1_000')).toBeNull()
    expect(tokenLimitProblem('1.5')).toBe('usage.budgetForm.tokensInvalid')
    expect(tokenLimitProblem('-1')).toBe('usage.budgetForm.tokensInvalid')
    expect(tokenLimitProblem(String(10 ** 16))).toBe('usage.budgetForm.tokensInvalid')
    expect(costLimitProblem('')).toBeNull()
    expect(costLimitProblem('5.1234')).toBeNull()
    expect(costLimitProblem('5.12345')).toBe('usage.budgetForm.costInvalid')
    expect(costLimitProblem('abc')).toBe('usage.budgetForm.costInvalid')
    expect(costLimitProblem('-2')).toBe('usage.budgetForm.costInvalid')
  })

  it('shows server limits as editable text', () => {
    expect(limitInput(null)).toBe('')
    expect(limitInput(undefined)).toBe('')
    expect(limitInput(50000)).toBe('50000')
    expect(limitInput('5.0000')).toBe('5')
    expect(limitInput('5.2500')).toBe('5.25')
    expect(limitInput('10')).toBe('10')
  })
})
