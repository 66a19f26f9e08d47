/**
 * A CouchDB refusal reads in one language: the request it was about (the list of databases, a batch for a bucket, …)
 * is chosen in the message by a parameter, not passed as English words. A cold trial read "La connexion a échoué :
 * CouchDB a refusé les identifiants (the list of databases) : unauthorized: …" in French. The server's own reason
 * stays as the server wrote it.
 */
import { readFileSync } from 'node:fs'
import { IntlMessageFormat } from 'intl-messageformat'
import { describe, expect, it } from 'vitest'
import { couchFailure, type CouchTarget } from '../../src-main/core/historian/couch.client'
import type { HttpResponse } from '../../src-main/core/http/http-client'

type Catalogue = { historian: Record<string, string> }
const catalogue = (language: string): Catalogue => JSON.parse(readFileSync(new URL(`../../src-renderer/src/i18n/${language}.json`, import.meta.url), 'utf8')) as Catalogue
const catalogues = { en: catalogue('en'), fr: catalogue('fr') }

/** The message as the renderer's ICU formatter writes it; it throws when a placeholder has no value. */
function translate(language: 'en' | 'fr', ref: { key: string; params?: Record<string, string | number> } | undefined): string {
  const message = ref ? catalogues[language].historian[ref.key.replace(/^historian\./, '')] : undefined
  if (!ref || message === undefined) return 'fallback'
  return String(new IntlMessageFormat(message, language).format(ref.params ?? {}))
}

function answer(status: number, body: unknown): HttpResponse {
  return { status, headers: {}, tryJson: () => body, isHtml: () => false } as unknown as HttpResponse
}

const unauthorized = answer(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' })

function both(target: CouchTarget, res = unauthorized): { en: string; fr: string; message: string } {
  const failure = couchFailure(res, target)
  const ref = failure.details?.ref
  const en = translate('en', ref)
  const fr = translate('fr', ref)
  return { en, fr, message: failure.message }
}

describe('CouchDB refusals in both languages', () => {
  it('names the request in the language of the message, and keeps the English text for the CLI', () => {
    expect(both({ what: 'listDbs' })).toEqual({
      en: 'CouchDB refused the credentials (the list of databases): unauthorized: Name or password is incorrect.',
      fr: 'CouchDB a refusé les identifiants (liste des bases de données)\u00a0: unauthorized: Name or password is incorrect.',
      message: 'CouchDB refused the credentials (the list of databases): unauthorized: Name or password is incorrect.',
    })
    const forbidden = both({ what: 'batch', db: 'iotp_org1_labo_2026-12-06' }, answer(403, { error: 'forbidden', reason: 'You are not allowed to access this db.' }))
    expect(forbidden.fr).toBe('CouchDB interdit cette requête (lot pour iotp_org1_labo_2026-12-06)\u00a0: forbidden: You are not allowed to access this db.')
    expect(forbidden.message).toBe('CouchDB forbids a batch for iotp_org1_labo_2026-12-06: forbidden: You are not allowed to access this db.')
  })

  it('has French words for every kind of request and every refusal', () => {
    const targets: CouchTarget[] = [
      { what: 'listDbs' },
      { what: 'database', db: 'iotp_o_n_2026-12' },
      { what: 'batch', db: 'iotp_o_n_2026-12' },
      { what: 'documents', db: 'iotp_o_n_2026-12' },
      { what: 'designDocs', db: 'iotp_o_n_configuration' },
      { what: 'document', db: 'iotp_o_n_2026-12', doc: '_design/x' },
    ]
    const English = /\b(the|list of|a batch|documents of|design documents|database|in iotp)\b/
    for (const status of [401, 403, 404, 400, 413, 429, 503]) {
      for (const target of targets) {
        const { en, fr } = both(target, answer(status, { error: 'e', reason: 'r' }))
        expect(en, `${status} ${target.what}`).not.toBe('fallback')
        expect(fr, `${status} ${target.what}`).not.toBe('fallback')
        expect(fr, `${status} ${target.what}`).not.toMatch(English)
      }
    }
  })
})
