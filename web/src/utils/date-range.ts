/**
 * Day ranges for the statistics pages. The server groups usage by UTC calendar day, so a
 * picked range of days ("YYYY-MM-DD", both inclusive) is sent as UTC midnights: the first
 * day's start up to the start of the day after the last one.
 */

export type DayRange = [string, string]

const DAY_MS = 24 * 60 * 60 * 1000

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

function parseDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`)
}

/** The last `count` UTC days up to and including today. */
export function lastDays(count: number, now: Date = new Date()): DayRange {
  const today = parseDay(utcDay(now))
  return [utcDay(new Date(today - (count - 1) * DAY_MS)), utcDay(new Date(today))]
}

/** `since` / `until` query parameters for a range of days. */
export function rangeQuery(range: DayRange): { since: string; until: string } {
  const [first, last] = range[0] <= range[1] ? range : [range[1], range[0]]
  return {
    since: new Date(parseDay(first)).toISOString(),
    until: new Date(parseDay(last) + DAY_MS).toISOString(),
  }
}

/** Every day from `first` to `last`, both included, in order. */
export function daysBetween(first: string, last: string): string[] {
  const start = parseDay(first)
  const end = parseDay(last)
  if (Number.isNaN(start) || Number.isNaN(end)) return []
  const days: string[] = []
  for (let t = start; t <= end; t += DAY_MS) days.push(utcDay(new Date(t)))
  return days
}
