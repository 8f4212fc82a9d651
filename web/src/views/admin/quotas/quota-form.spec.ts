import { describe, expect, it } from 'vitest'
import { makeQuota } from '@/test/fixtures'
import { emptyQuotaForm, quotaFormFrom, quotaPayload } from './quota-form'

describe('quota form', () => {
  it('sends null for empty fields (no limit of that kind)', () => {
    expect(quotaPayload(emptyQuotaForm())).toEqual({ monthly_token_limit: null, monthly_cost_limit: null })
    expect(quotaPayload({ tokens: '', cost: '2.5' })).toEqual({ monthly_token_limit: null, monthly_cost_limit: '2.5' })
  })

  it('sends numbers for filled fields', () => {
    expect(quotaPayload({ tokens: '1,500,000', cost: '' })).toEqual({
      monthly_token_limit: 1_500_000,
      monthly_cost_limit: null,
    })
  })

  it('fills the form from a user budget, unlimited as empty', () => {
    expect(quotaFormFrom(makeQuota())).toEqual({ userId: 2, tokens: '50000', cost: '5' })
    expect(quotaFormFrom(makeQuota({ token_limit: null, cost_limit: null }))).toEqual({ userId: 2, tokens: '', cost: '' })
  })
})
