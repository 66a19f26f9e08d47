import { addMessages, init, locale } from 'svelte-i18n'
import type { MessageRef } from '../../../src-preload/contract'
import en from './en.json'
import fr from './fr.json'

export type Language = 'en' | 'fr'

/** What `$_` is, narrowed to the way this app calls it, so plain functions can take it as a parameter. */
export type Translate = (key: string, options?: { values?: Record<string, string | number> }) => string

type Catalogue = { [key: string]: string | Catalogue }

function flatten(catalogue: Catalogue, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [key, value] of Object.entries(catalogue)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else flatten(value, path, out)
  }
  return out
}

const englishMessages = flatten(en)

addMessages('en', en)
addMessages('fr', fr)
// Both catalogues are bundled (a few KB), so the first paint never waits for a locale to load.
init({ fallbackLocale: 'en', initialLocale: 'en' })

export function setLanguage(language: Language): void {
  void locale.set(language)
  document.documentElement.lang = language
}

export function hasMessage(key: string): boolean {
  return englishMessages.has(key)
}

/**
 * Translates a message the core sent by reference. The core's English text is the fallback whenever the
 * catalogue cannot render the reference faithfully: an unknown key (a newer core) or a missing placeholder
 * value (the message would otherwise show a raw "{param}").
 */
export function translateRef(t: Translate, ref: MessageRef | undefined, fallback: string): string {
  if (!ref) return fallback
  const template = englishMessages.get(ref.key)
  if (template === undefined) return fallback
  const params = ref.params ?? {}
  for (const match of template.matchAll(/\{\s*(\w+)/g)) {
    if (match[1] !== undefined && !(match[1] in params)) return fallback
  }
  return t(ref.key, { values: params })
}
