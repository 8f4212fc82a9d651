import { describe, expect, it } from 'vitest'
import { budgetPercent, exactTokensHint, formatCost, formatInteger, formatMs, formatPercent, formatTokens, toNumber } from './number-format'

describe('number formatting', () => {
  it('reads API decimals (strings) and tolerates empty values', () => {
    expect(toNumber('0.012300')).toBe(0.0123)
    expect(toNumber(null)).toBe(0)
    expect(toNumber('')).toBe(0)
    expect(toNumber('not a number')).toBe(0)
    expect(toNumber(7)).toBe(7)
  })

  it('puts thousands separators in integers per locale', () => {
    expect(formatInteger(1234567, 'en')).toBe('1,234,567')
    expect(formatInteger('1234567', 'zh-CN')).toBe('1,234,567')
    expect(formatInteger(1234567, 'de-DE')).toBe('1.234.567')
  })

  it('shows tokens exactly below 1,000 and compact above', () => {
    expect(formatTokens(999, 'en')).toBe('999')
    expect(formatTokens(12_345, 'en')).toBe('12.3K')
    expect(formatTokens(1_250_000, 'en')).toBe('1.3M')
    expect(formatTokens(12_345, 'zh-CN')).toBe('1.2万')
    expect(formatTokens(1200, 'zh-CN')).toBe('1,200')
    expect(exactTokensHint(12_345, 'en')).toBe('12,345')
    expect(exactTokensHint(999, 'en')).toBeUndefined()
    expect(exactTokensHint(1200, 'zh-CN')).toBeUndefined()
  })

  it('shows costs in dollars with 2 to 6 decimals', () => {
    expect(formatCost('0.0012345', 'en')).toBe('$0.001235')
    expect(formatCost('12', 'en')).toBe('$12.00')
    expect(formatCost('1234.5', 'en')).toBe('$1,234.50')
    expect(formatCost(null, 'en')).toBe('$0.00')
    expect(formatCost('0.000001', 'zh-CN')).toBe('$0.000001')
  })

  it('formats rates and durations', () => {
    expect(formatPercent(0.0345, 'en')).toBe('3.45%')
    expect(formatPercent(null, 'en')).toBe('0%')
    expect(formatMs(420.5, 'en')).toBe('421 ms')
    expect(formatMs(1250, 'en')).toBe('1.25 s')
    expect(formatMs(null, 'en')).toBe('—')
  })

  it('turns used / limit into a progress percentage, capped at 100, null when unlimited', () => {
    expect(budgetPercent(25, 100)).toBe(25)
    expect(budgetPercent('0.5', '5.0000')).toBe(10)
    expect(budgetPercent(150, 100)).toBe(100)
    expect(budgetPercent(1, 3)).toBe(33.3)
    expect(budgetPercent(0, 0)).toBe(100)
    expect(budgetPercent(10, null)).toBeNull()
  })
})
