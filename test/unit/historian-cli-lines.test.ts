/**
 * The headless forwarder's log lines (`fieldline historian run`), from the statuses it is given: what changes is said,
 * once, and what a cold trial missed is said at all.
 */
import { describe, expect, it } from 'vitest'
import type { ErrorCode } from '../../src-shared/models/errors'
import type { HistorianStatus } from '../../src-shared/models/historian'
import { destinationStatus, historianStatus } from '../helpers/historian-status'
import { destinationHint, printStatuses, stateLines, summaryLine, unreadableLines } from '../../src-main/cli/commands/historian'
import { fromEnvironment } from '../../src-main/core/historian/config'

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

describe('historian status', () => {
  const printed = (entries: Parameters<typeof printStatuses>[0]): string[] => {
    const lines: string[] = []
    printStatuses(entries, false, (t) => lines.push(t))
    return lines
  }

  // Cold trial: a stopped forwarder's queue said "12345 queued, 1200 dropped" where every other count is grouped.
  it('groups the counts of a stopped forwarder’s queues and of a running one’s destinations', () => {
    const stopped = { id: 'env', running: false, updatedAt: null, status: null, endedAbruptlyAt: null, queues: [{ ref: 'couchdb/env', queued: 12345, dropped: 1200, oldestQueuedAt: null }] }
    expect(printed([stopped])).toEqual(['env: not running', '  couchdb/env: 12,345 queued, 1,200 dropped'])
    const status = historianStatus({ received: 25000, destinations: [destinationStatus({ delivered: 24000, queued: 1500, queueSize: 100000, oldestQueuedAgeSeconds: 3600, dropped: 1001 })] })
    const running = { id: 'plant', running: true, updatedAt: '2026-12-06T00:00:01.000Z', status, endedAbruptlyAt: null, queues: [] }
    const [head, destination] = printed([running])
    expect(head).toContain('; 25,000 received, 0 unmatched')
    expect(destination).toContain(': 0 events/s, 24,000 stored, 1,500/100,000 queued, oldest 3,600 s, 1,001 dropped')
  })

  it('groups the total of messages on topics that name no device event', () => {
    const lines = unreadableLines(() => 0)
    expect(lines({ ...base, unreadableTopics: 1234, lastUnreadableTopic: 'x' })).toEqual([
      expect.stringMatching(/ignored 1,234 messages on topics that name no device event \(1,234 in all; last: x\)$/),
    ])
  })
})

describe('historian run: what to check after a destination stopped on an error', () => {
  const refused = (ref: string): HistorianStatus => ({
    ...base,
    destinations: [destinationStatus({ ref, name: 'env', state: 'failed', reason: { code: 'AUTH_FAILED', message: 'IAM refused the API key: BXNIM0415E' } })],
  })
  const broker = { FIELDLINE_MQTT_URL: 'mqtt://127.0.0.1:1883', FIELDLINE_MQTT_CLIENT_ID: 'a:org1:cli' }

  it('names the variable to correct when the environment configured it, as `weather` does', () => {
    const iam = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:5984', FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k' })
    expect(stateLines(null, refused('couchdb/env'), destinationHint(iam)).filter((l) => l.includes('destination'))).toEqual([
      expect.stringMatching(/destination couchdb\/env failed: IAM refused the API key: BXNIM0415E \[AUTH_FAILED\]; check FIELDLINE_HISTORIAN_COUCH_API_KEY$/),
    ])
    const basic = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:5984', FIELDLINE_HISTORIAN_COUCH_USERNAME: 'u', FIELDLINE_HISTORIAN_COUCH_PASSWORD: 'p' })
    expect(stateLines(null, refused('couchdb/env'), destinationHint(basic)).join('\n')).toMatch(/; check FIELDLINE_HISTORIAN_COUCH_USERNAME and FIELDLINE_HISTORIAN_COUCH_PASSWORD$/m)
    const kafka = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_KAFKA_BROKERS: '127.0.0.1:9092', FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events', FIELDLINE_HISTORIAN_KAFKA_PASSWORD: 'p' })
    expect(stateLines(null, refused('kafka/env'), destinationHint(kafka)).join('\n')).toMatch(/; check FIELDLINE_HISTORIAN_KAFKA_USERNAME and FIELDLINE_HISTORIAN_KAFKA_PASSWORD$/m)
  })

  const stopped = (ref: string, code: ErrorCode, state: 'failed' | 'backingOff' = 'failed'): HistorianStatus => ({
    ...base,
    destinations: [destinationStatus({ ref, name: 'env', state, reason: { code, message: 'refused' } })],
  })

  it('names the CA variable after a certificate that could not be verified (cold trial: no hint then)', () => {
    const couch = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_COUCH_URL: 'https://db.example', FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k' })
    expect(stateLines(null, stopped('couchdb/env', 'TLS'), destinationHint(couch)).join('\n')).toMatch(
      /destination couchdb\/env failed: refused \[TLS\]; check the server's certificate, and for one signed by a private authority FIELDLINE_HISTORIAN_COUCH_CA_FILE, then run again$/m,
    )
    const kafka = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_KAFKA_BROKERS: 'kafka.example:9093', FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events', FIELDLINE_HISTORIAN_KAFKA_PASSWORD: 'p' })
    expect(stateLines(null, stopped('kafka/env', 'TLS'), destinationHint(kafka)).join('\n')).toMatch(/private authority FIELDLINE_HISTORIAN_KAFKA_CA_FILE, then run again$/m)
  })

  it("names the account's permissions on the databases or the topic after a 403 (cold trial: no hint then)", () => {
    const couch = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_COUCH_URL: 'https://db.example', FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k', FIELDLINE_HISTORIAN_COUCH_DB: 'plant' })
    expect(stateLines(null, stopped('couchdb/env', 'FORBIDDEN'), destinationHint(couch)).join('\n')).toMatch(
      /\[FORBIDDEN\]; the credentials were accepted: check that the account may write to the iotp_org1_plant_\* databases, then run again$/m,
    )
    const kafka = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_KAFKA_BROKERS: 'kafka.example:9093', FIELDLINE_HISTORIAN_KAFKA_TOPIC: 'events', FIELDLINE_HISTORIAN_KAFKA_PASSWORD: 'p' })
    expect(stateLines(null, stopped('kafka/env', 'FORBIDDEN'), destinationHint(kafka)).join('\n')).toMatch(/check that the account may produce to topic events, then run again$/m)
  })

  it('says nothing more for a destination that is only backing off, or stopped for another reason', () => {
    const iam = fromEnvironment({ ...broker, FIELDLINE_HISTORIAN_COUCH_URL: 'http://127.0.0.1:5984', FIELDLINE_HISTORIAN_COUCH_API_KEY: 'k' })
    expect(stateLines(null, stopped('couchdb/env', 'NETWORK', 'backingOff'), destinationHint(iam)).join('\n')).not.toMatch(/check/)
    expect(stateLines(null, stopped('couchdb/env', 'VALIDATION'), destinationHint(iam)).join('\n')).not.toMatch(/check/)
  })
})
