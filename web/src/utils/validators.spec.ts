import { describe, expect, it } from 'vitest'
import { isEmail, passwordProblem, safeRedirect } from './validators'

describe('isEmail', () => {
  it.each(['ada@example.com', ' ada@sub.example.org '])('accepts %j', (value) => {
    expect(isEmail(value)).toBe(true)
  })

  it.each(['', 'ada', 'ada@', 'ada@example', 'a da@example.com'])('rejects %j', (value) => {
    expect(isEmail(value)).toBe(false)
  })
})

describe('passwordProblem', () => {
  it('requires at least 8 characters', () => {
    expect(passwordProblem('short12')).toBe('tooShort')
    expect(passwordProblem('longer12')).toBeNull()
  })

  it('rejects the email address as password, ignoring case', () => {
    expect(passwordProblem('Ada@Example.com', 'ada@example.com')).toBe('sameAsEmail')
    expect(passwordProblem('different-pass', 'ada@example.com')).toBeNull()
  })
})

describe('safeRedirect', () => {
  it('keeps same-site paths', () => {
    expect(safeRedirect('/admin/users?page=2')).toBe('/admin/users?page=2')
  })

  it.each([undefined, null, '', 'https://evil.example', '//evil.example', ['/a']])('falls back to / for %j', (value) => {
    expect(safeRedirect(value)).toBe('/')
  })
})
