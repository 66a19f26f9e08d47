/**
 * A degraded mbed bridge tries again by itself and the view says when ("Fieldline tries again by itself at …"): its
 * reason, marked `retrying` by the core, must not also tell the operator to try again, in English or French, whatever
 * the HTTP layer or the MQTT link named the failure by. The same error elsewhere keeps its "Try again". Team sync's
 * offline reason is the same case: the live sync tries again by itself.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import { NAMED_TRANSPORT_CODES } from '../../src-shared/models/transport-codes'
import type { Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'

const t: Translate = (key, options) => get(format)(key, options)
const ASKS_TO_RETRY = /try again|try later|réessay/i

/** Every reason a degraded bridge can show: the channel's (HTTP layer, mbed client, WebSocket) and the link's. */
const REASONS: { key: string; params: Record<string, string | number> }[] = [
  { key: 'errors.network', params: { host: 'mbed.example:443' } },
  { key: 'errors.timeout', params: { host: 'mbed.example:443', seconds: 30 } },
  { key: 'mbed.channelTimeout', params: { url: 'https://mbed.example' } },
  { key: 'mbed.channelGone', params: { seconds: 5 } },
  { key: 'mbed.channelRateLimited', params: { seconds: 5 } },
  { key: 'mbed.rateLimited', params: {} },
  { key: 'mbed.unavailable', params: { status: 503 } },
  { key: 'mbed.requestFailed', params: { status: 400 } },
  { key: 'mbed.badResponse', params: {} },
  { key: 'mbed.websocketRefused', params: { status: 502 } },
  { key: 'mbed.websocketClosed', params: { code: 1006 } },
  { key: 'mbed.waitingForMbed', params: { url: 'https://mbed.example' } },
  { key: 'mbed.waitingForBroker', params: {} },
  { key: 'platform.connectFailed', params: { broker: 'broker.example:8883' } },
  { key: 'platform.connectionLost', params: { broker: 'broker.example:8883' } },
  { key: 'platform.connectTimeout', params: { broker: 'broker.example:8883' } },
]

const reason = (key: string, params: Record<string, string | number>, retrying?: boolean): ErrorInfo => ({
  code: 'NETWORK',
  message: 'English text',
  details: { ref: { key, params }, ...(retrying ? { retrying } : {}) },
})

describe('a degraded mbed bridge’s reason', () => {
  it('never asks to try again, whatever the failure, in English and French', () => {
    for (const language of ['en', 'fr']) {
      locale.set(language)
      for (const { key, params } of REASONS) {
        for (const code of [...NAMED_TRANSPORT_CODES, 'UND_ERR_SOCKET', 'EWHATEVER', 'no CONNACK in time']) {
          const text = errorText(t, reason(key, { ...params, reason: code }, true))
          expect(text, `${language} ${key} ${code}`).not.toMatch(ASKS_TO_RETRY)
          expect(text, `${language} ${key} ${code}`).not.toBe('English text')
        }
      }
    }
    locale.set('en')
  })

  it('says what happened and what to check if it lasts', () => {
    locale.set('fr')
    expect(errorText(t, reason('errors.network', { host: 'mbed.example:443', reason: 'ECONNRESET' }, true))).toBe(
      'Impossible de joindre mbed.example:443\u00a0: la connexion a été coupée. Si cela se reproduit, vérifiez le réseau ou le proxy entre cet ordinateur et le service.',
    )
    expect(errorText(t, reason('platform.connectFailed', { broker: 'b:1883', reason: 'UND_ERR_ABORTED' }, true))).toBe(
      'Impossible de se connecter au broker b:1883\u00a0: la requête a été interrompue avant la fin.',
    )
    locale.set('en')
    expect(errorText(t, reason('errors.timeout', { host: 'mbed.example:443', seconds: 30 }, true))).toBe(
      'mbed.example:443 did not answer within 30 s. If this lasts, check the network connection and whether the service is busy.',
    )
  })

  it('leaves the same error elsewhere (an operator’s own action) with its “Try again”', () => {
    locale.set('fr')
    expect(errorText(t, reason('errors.network', { host: 'mbed.example:443', reason: 'UND_ERR_ABORTED' }))).toBe(
      'Impossible de joindre mbed.example:443\u00a0: la requête a été interrompue avant la fin. Réessayez.',
    )
    locale.set('en')
    expect(errorText(t, reason('errors.timeout', { host: 'h', seconds: 5 }))).toMatch(/then try again/)
  })
})

describe('team sync offline', () => {
  it('says the server is away and what to check if it lasts: the live sync tries again by itself (cold trial: « Réessayez »)', () => {
    locale.set('fr')
    expect(errorText(t, reason('sync.offline', { reason: 'ECONNRESET' }, true))).toBe(
      'Le serveur de synchronisation est injoignable\u00a0: la connexion a été coupée. Si cela se reproduit, vérifiez le réseau ou le proxy entre cet ordinateur et le service.',
    )
    locale.set('en')
    for (const code of NAMED_TRANSPORT_CODES) expect(errorText(t, reason('sync.offline', { reason: code }, true)), code).not.toMatch(ASKS_TO_RETRY)
  })
})
