/**
 * The headless mbed bridge's state lines (`fieldline bridge mbed`): the reason, and while degraded the channel's next
 * try, so that the repeated lines of a long outage each say something new.
 */
import { describe, expect, it } from 'vitest'
import type { MbedBridgeStatus } from '../../src-shared/models/mbed'
import { keptDoneLine, keptLine, stateLine, summaryLine } from '../../src-main/cli/commands/bridge'

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

describe('bridge mbed summary', () => {
  // Cold trial: "12345 notifications, 12345 messages published" where the CLI's other counts are grouped.
  it('groups its counts, and says one of each in the singular', () => {
    expect(summaryLine({ notifications: 12345, commands: 2000, commandErrors: 1001 }, { published: 12346, dropped: 1500, undelivered: 4000 }, NOW)).toBe(
      '2026-12-06T15:36:21.000Z mbed bridge summary: 12,345 notifications, 12,346 messages published, 2,000 commands, 1,001 command errors, 1,500 dropped, 4,000 undelivered',
    )
    expect(summaryLine({ notifications: 1, commands: 1, commandErrors: 1 }, { published: 1, dropped: 0, undelivered: 0 }, NOW)).toBe(
      '2026-12-06T15:36:21.000Z mbed bridge summary: 1 notification, 1 message published, 1 command, 1 command error, 0 dropped, 0 undelivered',
    )
  })
})
