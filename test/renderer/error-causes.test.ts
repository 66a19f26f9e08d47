/**
 * Network and parser failures reach the operator as sentences, never as the codes the core names them by
 * (ECONNREFUSED, UND_ERR_SOCKET, PropertyNameExpected): every code the core can name has its words in English and
 * French. (A real carrier call to a closed port, read in the UI: test/e2e/activity.spec.ts.)
 */
import { readFileSync } from 'node:fs'
import { printParseErrorCode } from 'jsonc-parser'
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { NAMED_TRANSPORT_CODES } from '../../src-shared/models/transport-codes'
import { flatten, translateRef, type Catalogue, type Translate } from '../../src-renderer/src/i18n'
import { jsonParseKey, regexProblemKey, transportCauseKey } from '../../src-renderer/src/lib/error-causes'
import { REGEX_PROBLEMS } from '../../src-shared/models/regex-problems'
import { formatDateTime } from '../../src-renderer/src/lib/format'

const load = (language: string) => flatten(JSON.parse(readFileSync(new URL(`../../src-renderer/src/i18n/${language}.json`, import.meta.url), 'utf8')) as Catalogue)
const catalogues = { en: load('en'), fr: load('fr') }
const t: Translate = (key, options) => get(format)(key, options)
/** Anything shaped like a system, undici, OpenSSL or jsonc-parser code. */
const CODE = /\b(E[A-Z0-9]{3,}|UND_ERR_[A-Z_]+|HPE_[A-Z_]+|ERR_[A-Z_]+|[A-Z]+_[A-Z_]{3,}|[A-Z][a-z]+(?:[A-Z][a-z]+)+Expected|Invalid[A-Z][a-zA-Z]+)\b/

describe('transport codes', () => {
  it('says every code the core names in words of its own, in both languages', () => {
    for (const code of [...NAMED_TRANSPORT_CODES, 'UND_ERR_SOCKET', 'ECONNREFUSED']) {
      const key = transportCauseKey(code)
      expect(key, code).not.toBeNull()
      // A code the core names explicitly has a specific sentence, not the catch-all.
      expect(key, code).not.toBe('errors.cause.other')
      for (const [language, messages] of Object.entries(catalogues)) {
        const text = messages.get(key!)
        expect(text, `${language} ${key}`).toBeTruthy()
        expect(text).not.toMatch(CODE)
      }
    }
  })

  it('says codes of the families it cannot list, and unknown ones, with a fitting general sentence', () => {
    expect(transportCauseKey('HPE_INVALID_CONSTANT')).toBe('errors.cause.badAnswer')
    expect(transportCauseKey('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('errors.cause.tlsOther')
    expect(transportCauseKey('CERT_CHAIN_TOO_LONG')).toBe('errors.cause.tlsOther')
    expect(transportCauseKey('EWHATEVER')).toBe('errors.cause.other')
    expect(transportCauseKey('UNKNOWN')).toBe('errors.cause.other')
    expect(transportCauseKey('configuration')).toBeNull()
    expect(transportCauseKey('Not authorized (0x87)')).toBeNull()
  })

  it('is what a message naming the code reads as, in English and French', () => {
    const ref = { key: 'errors.network', params: { host: 'cc.example:443', reason: 'UND_ERR_SOCKET' } }
    locale.set('en')
    expect(translateRef(t, ref, 'fallback')).toBe(
      'Cannot reach cc.example:443: the connection was cut off. Try again; if it keeps happening, check the network or proxy between this computer and the service.',
    )
    locale.set('fr')
    expect(translateRef(t, ref, 'fallback')).toBe(
      'Impossible de joindre cc.example:443\u00a0: la connexion a été coupée. Réessayez\u202f; si cela se reproduit, vérifiez le réseau ou le proxy entre cet ordinateur et le service.',
    )
  })
})

describe('JSON parser errors', () => {
  it('says every jsonc-parser error, and the trailing comma the core names itself, in words, in both languages', () => {
    for (const name of [...Array.from({ length: 17 }, (_, i) => printParseErrorCode(i + 1)), 'TrailingComma']) {
      const key = jsonParseKey(name)
      expect(key, name).not.toBeNull()
      for (const messages of Object.values(catalogues)) {
        expect(messages.get(key!), key!).toBeTruthy()
        expect(messages.get(key!)).not.toMatch(CODE)
      }
    }
  })

  it('is what the editor’s syntax diagnostic reads as', () => {
    const ref = { key: 'config.jsonSyntax', params: { detail: 'PropertyNameExpected' } }
    locale.set('en')
    expect(translateRef(t, ref, 'fallback')).toBe('JSON syntax error: a property name in double quotes was expected')
    locale.set('fr')
    expect(translateRef(t, ref, 'fallback')).toBe('Erreur de syntaxe JSON\u00a0: un nom de propriété entre guillemets doubles était attendu')
  })
})

describe('regular expressions that do not compile', () => {
  it('names why in the operator’s words, in both languages (test/unit/regex-problems.test.ts: each reason the engine gives)', () => {
    for (const code of REGEX_PROBLEMS.filter((c) => c !== 'other')) {
      for (const messages of Object.values(catalogues)) expect(messages.get(regexProblemKey(code)!), code).toBeTruthy()
    }
    expect(regexProblemKey('other')).toBeNull()
  })

  it('is what the package editor shows, the engine’s English left out; kept for a reason it cannot name', () => {
    const ref = { key: 'dm.regexInvalid', params: { regexProblem: 'nothingToRepeat', detail: 'Nothing to repeat' } }
    locale.set('en')
    expect(translateRef(t, ref, 'fallback')).toBe('Not a valid regular expression: a “*”, “+” or “?” has nothing before it to repeat (write “\\*” for the character itself).')
    locale.set('fr')
    const french = translateRef(t, ref, 'fallback')
    expect(french).toBe(
      'Expression régulière non valide\u00a0: un «\u00a0*\u00a0», un «\u00a0+\u00a0» ou un «\u00a0?\u00a0» n’a rien avant lui à répéter (écrivez «\u00a0\\*\u00a0» pour le caractère lui-même).',
    )
    expect(french).not.toContain('Nothing to repeat')
    expect(translateRef(t, { key: 'dm.regexInvalidOther', params: { regexProblem: 'other', detail: 'Some new reason' } }, 'fallback')).toBe(
      'Expression régulière non valide (raison donnée par JavaScript\u00a0: Some new reason).',
    )
  })
})

describe('instants in messages', () => {
  it('says the time a rate limit resets in the window’s language and time zone, not as the core’s ISO text', () => {
    const at = '2026-12-07T20:31:00.000Z'
    const ref = { key: 'mail.sendgrid.rateLimitedUntil', params: { at } }
    for (const language of ['en', 'fr']) {
      locale.set(language)
      const text = translateRef(t, ref, 'fallback')
      expect(text).not.toContain(at)
      expect(text).toContain(formatDateTime(at, language))
    }
  })
})
