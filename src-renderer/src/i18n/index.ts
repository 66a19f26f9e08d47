import { addMessages, init, locale } from 'svelte-i18n'
import type { MessageRef } from '../../../src-shared/contract'
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
  for (const name of argumentNames(template)) {
    if (!(name in params)) return fallback
  }
  return t(ref.key, { values: params })
}

/**
 * The argument names of an ICU message, including those inside plural and select branches. The branches' own
 * text is not an argument: "{mode, select, smtp {SMTP password} …}" needs `mode` only, not `SMTP`.
 */
function argumentNames(message: string): Set<string> {
  const names = new Set<string>()
  let i = 0
  /** Reads one message until the '}' that closes it (or the end), collecting arguments. */
  const readMessage = (): void => {
    while (i < message.length) {
      const c = message[i]
      if (c === '}') return
      i++
      if (c === '{') readArgument()
    }
  }
  const readArgument = (): void => {
    const head = /^\s*(\w+)\s*(?:,\s*(\w+)\s*)?([,}])/.exec(message.slice(i))
    if (!head) return
    names.add(head[1] ?? '')
    i += head[0].length
    if (head[3] === '}') return
    if (head[2] === 'plural' || head[2] === 'select' || head[2] === 'selectordinal') {
      // Branches: "key {message}" pairs until the argument's closing brace.
      while (i < message.length && message[i] !== '}') {
        if (message[i] === '{') {
          i++
          readMessage()
        }
        i++
      }
      i++
      return
    }
    // number, date and time styles hold no arguments: skip to the closing brace.
    let depth = 1
    while (i < message.length && depth > 0) {
      if (message[i] === '{') depth++
      else if (message[i] === '}') depth--
      i++
    }
  }
  readMessage()
  return names
}
