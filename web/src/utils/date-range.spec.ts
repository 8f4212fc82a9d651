import { describe, expect, it } from 'vitest'
import { daysBetween, lastDays, rangeQuery } from './date-range'

describe('day ranges', () => {
  it('defaults to the last N UTC days including today', () => {
    expect(lastDays(30, new Date('2025-03-15T23:30:00Z'))).toEqual(['2025-02-14', '2025-03-15'])
    expect(lastDays(1, new Date('2025-03-15T00:00:00Z'))).toEqual(['2025-03-15', '2025-03-15'])
  })

  it('sends a range of days as UTC midnights, the end exclusive', () => {
    expect(rangeQuery(['2025-03-01', '2025-03-31'])).toEqual({
      since: '2025-03-01T00:00:00.000Z',
      until: '2025-04-01T00:00:00.000Z',
    })
    expect(rangeQuery(['2024-12-31', '2024-12-31'])).toEqual({
      since: '2024-12-31T00:00:00.000Z',
      until: '2025-01-01T00:00:00.000Z',
    })
  })

  it('puts a reversed range in order', () => {
    expect(rangeQuery(['2025-03-05', '2025-03-01']).since).toBe('2025-03-01T00:00:00.000Z')
  })

  it('lists every day of a range, across months and leap days', () => {
    expect(daysBetween('2024-02-27', '2024-03-02')).toEqual([
      '2024-02-27',
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-02',
    ])
    expect(daysBetween('2025-03-02', '2025-03-01')).toEqual([])
    expect(daysBetween('bad', '2025-03-01')).toEqual([])
  })
})
