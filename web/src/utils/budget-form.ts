/** Monthly budgets as typed in a form: text fields, where empty means unlimited. */

export interface BudgetInput {
  tokens: string
  cost: string
}

export interface BudgetLimits {
  tokens: number | null
  /** A decimal string, so no precision is lost on the way to the server. */
  cost: string | null
}

export const MAX_TOKEN_LIMIT = 10 ** 15
export const MAX_COST_LIMIT = 10 ** 9

const TOKENS_RE = /^\d+$/
const COST_RE = /^\d+(\.\d{1,4})?$/

export type BudgetProblem = 'usage.budgetForm.tokensInvalid' | 'usage.budgetForm.costInvalid'

/** The i18n key of what is wrong with a token limit, or null when it is fine (or empty). */
export function tokenLimitProblem(value: string): BudgetProblem | null {
  const text = value.trim().replace(/[,_\s]/g, '')
  if (!text) return null
  return TOKENS_RE.test(text) && Number(text) <= MAX_TOKEN_LIMIT ? null : 'usage.budgetForm.tokensInvalid'
}

export function costLimitProblem(value: string): BudgetProblem | null {
  const text = value.trim()
  if (!text) return null
  return COST_RE.test(text) && Number(text) <= MAX_COST_LIMIT ? null : 'usage.budgetForm.costInvalid'
}

/** Empty fields become null (unlimited); numbers are normalised. */
export function budgetLimits(input: BudgetInput): BudgetLimits {
  const tokens = input.tokens.trim().replace(/[,_\s]/g, '')
  const cost = input.cost.trim()
  return {
    tokens: tokens ? Number(tokens) : null,
    cost: cost ? cost.replace(/^0+(?=\d)/, '') : null,
  }
}

/** A limit from the server as form text (null → empty). */
export function limitInput(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  // Decimals come back like "5.0000": drop the trailing zeros for editing.
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value
}
