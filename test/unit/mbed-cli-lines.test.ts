/**
 * The headless mbed bridge's state lines (`fieldline bridge mbed`): the reason, and while degraded the channel's next
 * try, so that the repeated lines of a long outage each say something new.
 */
import { describe, expect, it } from 'vitest'
import type { MbedBridgeStatus } from '../../src-shared/models/mbed'
import { keptDoneLine, keptLine, stateLine } from '../../src-main/cli/commands/bridge'

const NOW = new Date('2026-12-06T15:36:21.000Z')
const status = (extra: Partial<MbedBridgeStatus>): MbedBridgeStatus => ({
  state: 'running',
  reason: null,
  failedSide: null,
  since: NOW.toISOString(),
  channel: { kind: 'longpoll', state: 'open', retryAt: null },
  link: { state: 'connected', insecure: false },
  kept: 0,
  ...extra,
})

describe('bridge mbed state lines', () => {
  it('says the state, then the reason with its code, then the next try while degraded', () => {
    expect(stateLine(status({}), NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge running')
    const degraded = status({
      state: 'degraded',
      reason: { code: 'NETWORK', message: 'Cannot reach mbed at 127.0.0.1:18080: connection refused' },
      channel: { kind: 'longpoll', state: 'reconnecting', retryAt: '2026-12-06T15:36:35.000Z' },
    })
    expect(stateLine(degraded, NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge degraded: Cannot reach mbed at 127.0.0.1:18080: connection refused [NETWORK] (next try at 2026-12-06T15:36:35.000Z)')
    // The broker away, mbed fine: no next try of the channel to tell.
    expect(stateLine(status({ state: 'degraded', reason: { code: 'NETWORK', message: 'MQTT broker away' } }), NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge degraded: MQTT broker away [NETWORK]')
  })

  it('says at start how many messages the last run left, and when none of them waits any more', () => {
    expect(keptLine(12345, '/data/mbed/queues/env-0123456789abcdef', NOW)).toBe(
      '2026-12-06T15:36:21.000Z mbed bridge: 12,345 messages kept from the last run in /data/mbed/queues/env-0123456789abcdef are delivered first',
    )
    expect(keptLine(1, '/q', NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge: 1 message kept from the last run in /q is delivered first')
    expect(keptDoneLine(12345, NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge: the 12,345 messages kept from the last run are no longer waiting')
    expect(keptDoneLine(1, NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge: the message kept from the last run is no longer waiting')
  })
})
