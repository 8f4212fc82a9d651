/** Locale-aware numbers for usage statistics. Decimals arrive from the API as strings. */

export function toNumber(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === '') return 0
  const number = typeof value === 'number' ? value : Number(value)
  return Number.isFinite(number) ? number : 0
}

/** 1234567 → "1,234,567" (en) / "1,234,567" (zh-CN). */
export function formatInteger(value: string | number | null | undefined, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(toNumber(value))
}

/** Token counts: exact below 1,000, compact above (12.3K, 1.2M; 1.2万 in Chinese). */
export function formatTokens(value: string | number | null | undefined, locale: string): string {
  const number = toNumber(value)
  if (Math.abs(number) < 1000) return formatInteger(number, locale)
  const compact = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(number)
  // Some locales only compact from 10,000 (万): show the exact number with separators instead.
  return /^[-\d.,\s]+$/.test(compact) ? formatInteger(number, locale) : compact
}

/** Costs in US dollars (model prices are per million tokens in $), 2 to 6 decimals. */
export function formatCost(value: string | number | null | undefined, locale: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    currencyDisplay: 'narrowSymbol',
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  }).format(toNumber(value))
}

/** 0.0345 → "3.45%". */
export function formatPercent(rate: number | null | undefined, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(rate ?? 0)
}

/** Milliseconds: "850 ms", "1.25 s". */
export function formatMs(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined) return '—'
  if (value < 1000) return `${formatInteger(Math.round(value), locale)} ms`
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value / 1000)} s`
}

/** Share of a budget used, in percent for a progress bar (0 to 100); null when unlimited. */
export function budgetPercent(used: string | number, limit: string | number | null | undefined): number | null {
  if (limit === null || limit === undefined) return null
  const max = toNumber(limit)
  if (max <= 0) return 100
  return Math.min(100, Math.round((toNumber(used) / max) * 1000) / 10)
}

/** The exact number behind a compact token count, or undefined when nothing was compacted. */
export function exactTokensHint(value: string | number | null | undefined, locale: string): string | undefined {
  const exact = formatInteger(value, locale)
  return formatTokens(value, locale) === exact ? undefined : exact
}
