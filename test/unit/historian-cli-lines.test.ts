/**
 * The headless forwarder's log lines (`fieldline historian run`), from the statuses it is given: what changes is said,
 * once, and what a cold trial missed is said at all.
 */
import { describe, expect, it } from 'vitest'
import type { HistorianStatus } from '../../src-shared/models/historian'
import { destinationStatus, historianStatus } from '../helpers/historian-status'
import { stateLines, summaryLine, unreadableLines } from '../../src-main/cli/commands/historian'

const base = historianStatus({ profileId: 'env', since: '2026-12-06T05:00:00.000Z', received: 4, destinations: [] })

describe('historian run log lines', () => {
  it('says messages on topics that name no device event: the first at once, then at most once a minute, with the count since', () => {
    let t = 0
    const lines = unreadableLines(() => t)
    expect(lines(base)).toEqual([])
    expect(lines({ ...base, unreadableTopics: 1, lastUnreadableTopic: 'iot-2/type/t/id/d/evt/=2-5/fmt/json' })).toEqual([
      expect.stringMatching(/ historian ignored 1 message on topics that name no device event \(1 in all; last: iot-2\/type\/t\/id\/d\/evt\/=2-5\/fmt\/json\)$/),
    ])
    t = 30_000
    expect(lines({ ...base, unreadableTopics: 5, lastUnreadableTopic: 'iot-2/type/t/id/d/evt/@SUM(1)/fmt/json' })).toEqual([])
    t = 60_000
    expect(lines({ ...base, unreadableTopics: 6, lastUnreadableTopic: 'iot-2/type/t/id/d/evt/@SUM(1)/fmt/json' })).toEqual([
      expect.stringMatching(/ historian ignored 5 messages on topics that name no device event \(6 in all; last: iot-2\/type\/t\/id\/d\/evt\/@SUM\(1\)\/fmt\/json\)$/),
    ])
    t = 200_000
    expect(lines({ ...base, unreadableTopics: 6 })).toEqual([])
  })
})

describe('historian run destination lines', () => {
  const backingOff = (nextTryAt: string): HistorianStatus => ({
    ...base,
    destinations: [destinationStatus({ ref: 'couchdb/env', name: 'env', state: 'backingOff', reason: { code: 'NETWORK', message: 'CouchDB could not be reached' }, nextTryAt })],
  })

  it('says each new back-off step with its own next try, and nothing when nothing changed', () => {
    const first = backingOff('2026-12-06T05:00:01.000Z')
    const second = backingOff('2026-12-06T05:00:03.000Z')
    expect(stateLines(null, first).filter((l) => l.includes('destination'))).toEqual([expect.stringMatching(/destination couchdb\/env backingOff: .*, next try 2026-12-06T05:00:01.000Z$/)])
    expect(stateLines(first, second)).toEqual([expect.stringMatching(/destination couchdb\/env backingOff: .*, next try 2026-12-06T05:00:03.000Z$/)])
    expect(stateLines(second, second)).toEqual([])
  })

  it('says when a connected destination starts waiting long for an answer, and when it stops', () => {
    const of = (waitingSince: string | null): HistorianStatus => ({ ...base, destinations: [destinationStatus({ ref: 'kafka/env', name: 'env', waitingSince })] })
    const quiet = of(null)
    const waiting = of('2026-12-06T05:00:00.000Z')
    expect(stateLines(quiet, waiting)).toEqual([expect.stringMatching(/destination kafka\/env connected, waiting for an answer since 2026-12-06T05:00:00.000Z$/)])
    expect(stateLines(waiting, waiting)).toEqual([])
    expect(stateLines(waiting, quiet)).toEqual([expect.stringMatching(/destination kafka\/env connected$/)])
  })
})

describe('historian run exit summary', () => {
  // Cold trial: "1 messages on topics that name no device event".
  it('writes one event and one message in the singular, and thousands grouped in the plural', () => {
    const line = summaryLine({ received: 1, unmatched: 0, intakeFailures: 0, unreadableTopics: 1, destinations: [] })
    expect(line).toMatch(/ historian summary: 1 event received, 0 matched no rule, 0 could not be queued, 1 message on topics that name no device event; $/)
    const many = summaryLine({ received: 1500, unmatched: 0, intakeFailures: 0, unreadableTopics: 2, destinations: [] })
    expect(many).toContain('1,500 events received')
    expect(many).toContain('2 messages on topics')
  })
})
