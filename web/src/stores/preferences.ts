import { defineStore } from 'pinia'
import { ref, watchEffect } from 'vue'
import { DEFAULT_LOCALE, i18n, isLocale, type Locale } from '@/i18n'

export const DARK_KEY = 'llmforge.dark'
export const LOCALE_KEY = 'llmforge.locale'

function initialDark(): boolean {
  const stored = localStorage.getItem(DARK_KEY)
  if (stored !== null) return stored === 'true'
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false
}

function initialLocale(): Locale {
  const stored = localStorage.getItem(LOCALE_KEY)
  return isLocale(stored) ? stored : DEFAULT_LOCALE
}

export const usePreferencesStore = defineStore('preferences', () => {
  const dark = ref(initialDark())
  const locale = ref<Locale>(initialLocale())

  watchEffect(() => {
    document.documentElement.classList.toggle('dark', dark.value)
  })
  watchEffect(() => {
    document.documentElement.lang = locale.value
    i18n.global.locale.value = locale.value
  })

  function toggleDark(): void {
    dark.value = !dark.value
    localStorage.setItem(DARK_KEY, String(dark.value))
  }

  function setLocale(next: Locale): void {
    locale.value = next
    localStorage.setItem(LOCALE_KEY, next)
  }

  return { dark, locale, toggleDark, setLocale }
})
