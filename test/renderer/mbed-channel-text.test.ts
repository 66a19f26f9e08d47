/**
 * The mbed view's notification-channel row when the bridge failed: a bad access key is refused by mbed before the
 * channel starts, so the channel's own state ("Not started") would hide the refusal the state line and alert show.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import type { MbedBridgeStatus } from '../../src-shared/models/mbed'
import type { Translate } from '../../src-renderer/src/i18n'
import { channelText } from '../../src-renderer/src/features/mbed/mbed-text'

const t: Translate = (key, options) => get(format)(key, options)

const status = (over: Partial<MbedBridgeStatus>): MbedBridgeStatus => ({
  state: 'running',
  reason: null,
  failedSide: null,
  since: '2026-12-07T10:00:00.000Z',
  restartAt: null,
  channel: { kind: 'longpoll', state: 'open', retryAt: null },
  link: { state: 'connected', insecure: false, retryAt: null },
  kept: 0,
  ...over,
})

const refusedKey = status({
  state: 'failed',
  failedSide: 'mbed',
  reason: { code: 'AUTH_FAILED', message: 'mbed refused the access key (HTTP 401)', details: { ref: { key: 'mbed.authFailed', params: { status: 401 } } } },
  channel: { kind: 'longpoll', state: 'idle', retryAt: null },
})

afterEach(() => locale.set('en'))

describe('the notification channel’s row', () => {
  it('says mbed refused the access key when the bridge failed on it, in English and French', () => {
    expect(channelText(t, refusedKey)).toBe('Refused: mbed does not accept the access key')
    locale.set('fr')
    expect(channelText(t, refusedKey)).toBe('Refusé\u00a0: mbed n’accepte pas la clé d’accès')
  })

  it('says the bridge failed on mbed’s side for its other refusals (a certificate, an address that is not mbed)', () => {
    const tls = status({ ...refusedKey, reason: { code: 'TLS', message: 'certificate' } })
    expect(channelText(t, tls)).toBe('Failed on mbed’s side')
  })

  it('keeps the channel’s own state when the link or the disk ended the bridge, and while it runs', () => {
    expect(channelText(t, status({ ...refusedKey, failedSide: 'link', reason: { code: 'AUTH_FAILED', message: 'broker' } }))).toBe('Not started')
    expect(channelText(t, status({ state: 'failed', failedSide: 'disk', channel: { kind: 'longpoll', state: 'stopped', retryAt: null } }))).toBe('Stopped')
    expect(channelText(t, status({}))).toBe('Open')
  })
})
