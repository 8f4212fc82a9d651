import type { QuotaRead, QuotaUpdate } from '@/api/types'
import { budgetLimits, limitInput, type BudgetInput } from '@/utils/budget-form'

export interface QuotaForm extends BudgetInput {
  userId: number | null
}

export function emptyQuotaForm(): QuotaForm {
  return { userId: null, tokens: '', cost: '' }
}

/** The form for editing a user's budget as it is now. */
export function quotaFormFrom(quota: QuotaRead): QuotaForm {
  return { userId: quota.user_id, tokens: limitInput(quota.token_limit), cost: limitInput(quota.cost_limit) }
}

/** PUT /api/usage/quotas/{id} body: an empty field means no limit of that kind (null). */
export function quotaPayload(form: BudgetInput): QuotaUpdate {
  const { tokens, cost } = budgetLimits(form)
  return { monthly_token_limit: tokens, monthly_cost_limit: cost }
}
