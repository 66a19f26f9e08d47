/**
 * The headless forwarder's log lines (`fieldline historian run`), from the statuses it is given: what changes is said,
 * once, and what a cold trial missed is said at all.
 */
import { describe, expect, it } from 'vitest'
import type { HistorianStatus } from '../../src-shared/models/historian'
import { destinationStatus, historianStatus } from '../helpers/historian-status'
import { stateLines, unreadableLines } from '../../src-main/cli/commands/historian'

const base = historianStatus({ profileId: 'env', since: '2026-12-06T05:00:00.000Z', received: 4, destinations: [] })

describe('historian run log lines', () => {
  it('says messages on topics that name no device event: the first at once, then at most once a minute, with the count since', () => {
    let t = 0
    const lines = unreadableLines(() => t)
    expect(lines(base)).toEqual([])
    expect(lines({ ...base, unreadableTopics: 1, lastUnreadableTopic: 'iot-2/type/t/id/d/evt/=2-5/fmt/json' })).toEqual([
      expect.stringMatching(/ historian ignored 1 messages on topics that name no device event \(1 in all; last: iot-2\/type\/t\/id\/d\/evt\/=2-5\/fmt\/json\)$/),
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
