export const MIN_PASSWORD_LENGTH = 8

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function isEmail(value: string): boolean {
  return EMAIL_RE.test(value.trim())
}

export type PasswordProblem = 'tooShort' | 'sameAsEmail'

export function passwordProblem(password: string, email = ''): PasswordProblem | null {
  if (password.length < MIN_PASSWORD_LENGTH) return 'tooShort'
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase()) return 'sameAsEmail'
  return null
}

/** Only same-site absolute paths are followed after login, never another origin. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/'
}
