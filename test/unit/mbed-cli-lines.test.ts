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
  restartAt: null,
  channel: { kind: 'longpoll', state: 'open', retryAt: null },
  link: { state: 'connected', insecure: false, retryAt: null },
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
    // Cold trial: a broker away for long said "degraded" once and then nothing; each back-off step of the link is told too.
    const brokerAway = status({ state: 'degraded', reason: { code: 'NETWORK', message: 'MQTT broker away' }, link: { state: 'reconnecting', insecure: false, retryAt: '2026-12-06T15:37:00.000Z' } })
    expect(stateLine(brokerAway, NOW)).toBe('2026-12-06T15:36:21.000Z mbed bridge degraded: MQTT broker away [NETWORK] (next try at 2026-12-06T15:37:00.000Z)')
  })

  it('says of a failed bridge when it starts again by itself, or, for a cause it cannot cure, what to do', () => {
    const crashed = status({
      state: 'failed',
      failedSide: 'mbed',
      reason: { code: 'INTERNAL', message: 'The notification channel stopped on an unexpected error: boom' },
      restartAt: '2026-12-06T15:36:23.000Z',
    })
    expect(stateLine(crashed, NOW)).toBe(
      '2026-12-06T15:36:21.000Z mbed bridge failed: The notification channel stopped on an unexpected error: boom [INTERNAL] (starts again by itself at 2026-12-06T15:36:23.000Z)',
    )
    const refused = status({ state: 'failed', failedSide: 'mbed', reason: { code: 'AUTH_FAILED', message: 'mbed refused the access key (HTTP 401)' } })
    expect(stateLine(refused, NOW)).toBe(
      '2026-12-06T15:36:21.000Z mbed bridge failed: mbed refused the access key (HTTP 401) [AUTH_FAILED]; it does not retry: set a valid mbed access key (FIELDLINE_MBED_ACCESS_KEY, or the mbed profile’s), then start the bridge again',
    )
    // The broker's refusal names the broker's credentials, not mbed's key.
    expect(stateLine({ ...refused, failedSide: 'link' }, NOW)).toContain('set valid broker credentials (FIELDLINE_MQTT_USERNAME and FIELDLINE_MQTT_PASSWORD')
    expect(stateLine(status({ state: 'failed', failedSide: 'disk', reason: { code: 'DISK_FULL', message: 'disk full' } }), NOW)).toMatch(
      /; it does not retry: fix the cause above, then start the bridge again$/,
    )
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
