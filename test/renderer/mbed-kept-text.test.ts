/**
 * The mbed view's line about the messages the last run left in the queue (killed, or stopped while the broker was
 * away): being delivered first with how many still wait, then no longer waiting, in both languages; none while the
 * bridge is stopped or found nothing.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { zeroCounters, type MbedBridgeCounters, type MbedBridgeStatus } from '../../src-shared/models/mbed'
import type { Translate } from '../../src-renderer/src/i18n'
import { keptText } from '../../src-renderer/src/features/mbed/mbed-text'

const t: Translate = (key, options) => get(format)(key, options)

const status = (over: Partial<MbedBridgeStatus>): MbedBridgeStatus => ({
  state: 'running',
  reason: null,
  failedSide: null,
  since: '2026-12-06T10:00:00.000Z',
  restartAt: null,
  channel: { kind: 'longpoll', state: 'open', retryAt: null },
  link: { state: 'connected', insecure: false, retryAt: null },
  kept: 0,
  ...over,
})

const counters = (keptQueued: number): MbedBridgeCounters => ({ ...zeroCounters(), queued: keptQueued, keptQueued })

describe('mbed kept messages line', () => {
  it('says how many messages of the last run are delivered first and how many still wait, then that none waits', () => {
    locale.set('en')
    expect(keptText(t, status({ state: 'degraded', kept: 1250 }), counters(1200))).toBe(
      '1,250 messages kept from the last run are being delivered to the broker before anything new: 1,200 still waiting.',
    )
    // Counters of this run not pushed yet: all of them still wait.
    expect(keptText(t, status({ state: 'starting', kept: 1 }), null)).toBe('1 message kept from the last run is being delivered to the broker before anything new: 1 still waiting.')
    expect(keptText(t, status({ kept: 1250 }), counters(0))).toBe('The 1,250 messages kept from the last run are no longer waiting.')
    locale.set('fr')
    expect(keptText(t, status({ kept: 1250 }), counters(1200))).toBe(
      '1\u202f250 messages conservés de l’exécution précédente sont remis au broker avant tout nouveau message\u00a0: encore 1\u202f200 en attente.',
    )
    expect(keptText(t, status({ kept: 1 }), counters(0))).toBe('Le message conservé de l’exécution précédente n’est plus en attente.')
    locale.set('en')
  })

  it('says nothing when the last run left nothing, or while the bridge is stopped', () => {
    expect(keptText(t, status({ kept: 0 }), counters(0))).toBeNull()
    expect(keptText(t, status({ state: 'stopped', kept: 40 }), counters(40))).toBeNull()
    expect(keptText(t, null, null)).toBeNull()
  })
})
