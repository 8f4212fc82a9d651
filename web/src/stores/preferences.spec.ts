import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import { i18n } from '@/i18n'
import { DARK_KEY, LOCALE_KEY, usePreferencesStore } from './preferences'

const html = document.documentElement

beforeEach(() => {
  localStorage.clear()
  html.className = ''
  html.lang = ''
  setActivePinia(createPinia())
})

describe('preferences store', () => {
  it('defaults to light mode and Simplified Chinese', () => {
    const prefs = usePreferencesStore()

    expect(prefs.dark).toBe(false)
    expect(prefs.locale).toBe('zh-CN')
    expect(html.classList.contains('dark')).toBe(false)
    expect(html.lang).toBe('zh-CN')
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('toggles dark mode on <html> and remembers it', async () => {
    const prefs = usePreferencesStore()

    prefs.toggleDark()
    await nextTick()
    expect(html.classList.contains('dark')).toBe(true)
    expect(localStorage.getItem(DARK_KEY)).toBe('true')

    prefs.toggleDark()
    await nextTick()
    expect(html.classList.contains('dark')).toBe(false)
    expect(localStorage.getItem(DARK_KEY)).toBe('false')
  })

  it('switches the language of i18n and <html> and remembers it', async () => {
    const prefs = usePreferencesStore()

    prefs.setLocale('en')
    await nextTick()

    expect(localStorage.getItem(LOCALE_KEY)).toBe('en')
    expect(html.lang).toBe('en')
    expect(i18n.global.locale.value).toBe('en')
  })

  it('restores both preferences from localStorage on the next visit', () => {
    localStorage.setItem(DARK_KEY, 'true')
    localStorage.setItem(LOCALE_KEY, 'en')

    const prefs = usePreferencesStore()

    expect(prefs.dark).toBe(true)
    expect(prefs.locale).toBe('en')
    expect(html.classList.contains('dark')).toBe(true)
    expect(html.lang).toBe('en')
  })

  it('ignores an unknown stored language', () => {
    localStorage.setItem(LOCALE_KEY, 'fr')

    expect(usePreferencesStore().locale).toBe('zh-CN')
  })
})
