import { get } from 'svelte/store'
import { addMessages, getMessageFormatter, init, locale } from 'svelte-i18n'
import type { MessageRef } from '../../../src-shared/contract'
import { formatMebibytes } from '../../../src-shared/models/byte-format'
import { paramsInWords } from '../lib/error-causes'
import { formatDateTime } from '../lib/format'
import { boundsInLanguage } from '../lib/form/issues'
import en from './en.json'
import fr from './fr.json'

export type Language = 'en' | 'fr'

/** The interface languages, each named in itself so an operator finds theirs whatever the current one. */
export const LANGUAGES: readonly { value: Language; label: string; lang: Language }[] = [
  { value: 'en', label: 'English', lang: 'en' },
  { value: 'fr', label: 'Français', lang: 'fr' },
]

/** What `$_` is, narrowed to the way this app calls it, so plain functions can take it as a parameter. */
export type Translate = (key: string, options?: { values?: Record<string, string | number> }) => string

export type Catalogue = { [key: string]: string | Catalogue }

/** A nested catalogue as `a.b.c` keys and their messages. */
export function flatten(catalogue: Catalogue, prefix = '', out = new Map<string, string>()): Map<string, string> {
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
 * The words for one value of a closed set the contract defines (a role, a state, a mode): the message
 * `${group}.${value}`. test/renderer/i18n.test.ts checks that every value of those sets has its words in both
 * languages, so a value the core adds cannot go without.
 */
export function wordFor(t: Translate, group: string, value: string): string {
  return t(`${group}.${value}`)
}

type MessageElement = ReturnType<ReturnType<typeof getMessageFormatter>['getAst']>[number]
/** The parser's element type of plain text, whose `value` is the text itself. */
const LITERAL = 0

/**
 * The argument names of an ICU message as svelte-i18n's own parser (intl-messageformat) reads it, including those
 * inside plural and select branches; a branch's text is not an argument ("{mode, select, smtp {SMTP password}}" needs
 * `mode` only).
 */
export function argumentNames(message: string): Set<string> {
  const names = new Set<string>()
  const visit = (elements: readonly MessageElement[]): void => {
    for (const element of elements) {
      if ('options' in element) {
        names.add(element.value)
        for (const option of Object.values(element.options)) visit(option.value)
      } else if ('children' in element) {
        visit(element.children)
      } else if (element.type !== LITERAL && 'value' in element) {
        names.add(element.value)
      }
    }
  }
  visit(getMessageFormatter(message, 'en').getAst())
  return names
}

/**
 * Translates a message the core sent by reference. The core's English text is the fallback whenever the
 * catalogue cannot render the reference faithfully: an unknown key (a newer core) or a missing placeholder
 * value (the message would otherwise show a raw "{param}").
 */
export function translateRef(t: Translate, ref: MessageRef | undefined, fallback: string, options: { retrying?: boolean } = {}): string {
  if (!ref) return fallback
  const template = englishMessages.get(ref.key)
  if (template === undefined) return fallback
  const params = ref.params ?? {}
  for (const name of argumentNames(template)) {
    if (!(name in params)) return fallback
  }
  const variant = options.retrying ? whileRetrying : (key: string) => key
  const language = get(locale)
  return t(variant(ref.key), { values: boundsInLanguage(ref.key, timesInLanguage(sizesInLanguage(paramsInWords(t, ref, variant), language), language), language) })
}

/** An instant as the core writes it (toISOString). */
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

/**
 * An instant a message names (when a rate limit resets): the core and the CLI write it in UTC as ISO 8601, the window
 * in the operator's own time and language (cold trial: « Réessayez après 2026-12-07T20:31:00.000Z »).
 */
function timesInLanguage(params: Record<string, string | number>, language: string | null | undefined): Record<string, string | number> {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && ISO_INSTANT.test(value)) params[name] = formatDateTime(value, language)
  }
  return params
}

/**
 * For an error Fieldline tries again by itself (`retrying`, a degraded mbed bridge): the shared sentence that asks the
 * operator to try again (`errors.timeout`, `errors.cause.reset`…) has a variant under `errors.whileRetrying` that says
 * what happened and what to check if it lasts, with the same arguments; a sentence without one asks nothing of the kind.
 */
function whileRetrying(key: string): string {
  if (!key.startsWith('errors.')) return key
  const variant = `errors.whileRetrying.${key.slice('errors.'.length)}`
  return hasMessage(variant) ? variant : key
}

/**
 * A size a message names with its bytes beside it (`size` and `sizeBytes`, `max` and `maxBytes`): the core and the
 * CLI write it in English ("36.1 MB"), the window writes it again in its own language (« 36,1 Mo »).
 */
function sizesInLanguage(params: Record<string, string | number>, language: string | null | undefined): Record<string, string | number> {
  const limit = typeof params.maxBytes === 'number' ? params.maxBytes : undefined
  for (const [name, bytes] of Object.entries(params)) {
    const shown = name.endsWith('Bytes') ? name.slice(0, -'Bytes'.length) : ''
    if (typeof bytes !== 'number' || !(shown in params)) continue
    params[shown] = formatMebibytes(bytes, language, shown === 'max' ? undefined : limit)
  }
  return params
}
