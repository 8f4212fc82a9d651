import { describe, expect, it } from 'vitest'
import { compactJson, formatDateTime } from './format'

describe('formatDateTime', () => {
  it('shows a dash for missing values', () => {
    expect(formatDateTime(null, 'en')).toBe('—')
  })

  it('formats ISO date-times for the locale', () => {
    expect(formatDateTime('2025-03-04T05:06:07Z', 'en')).toMatch(/2025/)
  })

  it('returns unparseable input unchanged', () => {
    expect(formatDateTime('not a date', 'en')).toBe('not a date')
  })
})

describe('compactJson', () => {
  it('prints objects on one line and empty objects as nothing', () => {
    expect(compactJson({ role: 'admin', ids: [1, 2] })).toBe('{"role":"admin","ids":[1,2]}')
    expect(compactJson({})).toBe('')
    expect(compactJson(null)).toBe('')
  })
})
