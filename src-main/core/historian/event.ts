/**
 * A device event as the historian keeps it, from the moment a source hands it over until every destination has it.
 *
 * Its id is given once, at intake, and travels with it through the on-disk queues, so a batch sent again after a
 * failure carries the same ids and each destination recognises what it already has (a CouchDB `conflict`, a Kafka
 * consumer reading the `id` header):
 *
 *   <org>:<type>:<device>:<received, ISO UTC>:<event>:<sequence>
 *
 * The time comes before the event name so that one device's events sort by time in a bucket database, and a time range
 * is one key range (history.ts). The sequence is a random tag drawn when the process starts, followed by a counter: two
 * forwarders sharing a subscription, or one forwarder before and after a restart, never give two events the same id
 * even in the same millisecond.
 */
import { randomBytes } from 'node:crypto'
import { lineObject } from '../store/disk-queue'

export interface HistorianEvent {
  id: string
  org: string
  type: string
  device: string
  event: string
  format: string
  /** When the forwarder received it (ms since the epoch): MQTT events carry no time of their own. */
  receivedAt: number
  payload: Buffer
}

/** The queue's line format: short keys, because every event is written once per destination. */
interface EventLine {
  i: string
  o: string
  t: string
  d: string
  e: string
  f: string
  r: number
  p: string
}

export function createSequence(tag = randomBytes(5).toString('hex')): () => string {
  let n = 0
  return () => `${tag}${(n++).toString(36).padStart(6, '0')}`
}

/**
 * An instant as ISO 8601 UTC. The last one is remembered: events arrive by the thousand per second, many in the same
 * millisecond, and each needs its time in its id and in its Kafka record.
 */
let lastIso = { ms: Number.NaN, text: '' }
export function isoTime(ms: number): string {
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() }
  return lastIso.text
}

export function eventId(e: Omit<HistorianEvent, 'id' | 'payload' | 'format'>, sequence: string): string {
  return `${e.org}:${e.type}:${e.device}:${isoTime(e.receivedAt)}:${e.event}:${sequence}`
}

/** The id prefix of one device's events (history reads a key range under it). */
export function deviceIdPrefix(org: string, type: string, device: string): string {
  return `${org}:${type}:${device}:`
}

/** Kafka key: org + type + device, so a device's events go to one partition and stay in order. */
export function partitionKey(e: Pick<HistorianEvent, 'org' | 'type' | 'device'>): string {
  return `${e.org}:${e.type}:${e.device}`
}

/**
 * The line, byte for byte what `JSON.stringify` of an `EventLine` gives (queues already on disk and new lines read the
 * same), put together field by field: about half the cost of building the object and serialising it, once per event.
 * Each text goes through `JSON.stringify` for its escaping; base64 needs none.
 */
export function encodeEvent(e: HistorianEvent): Buffer {
  const q = JSON.stringify
  const text = `{"i":${q(e.id)},"o":${q(e.org)},"t":${q(e.type)},"d":${q(e.device)},"e":${q(e.event)},"f":${q(e.format)},"r":${q(e.receivedAt)},"p":"${e.payload.toString('base64')}"}\n`
  return Buffer.from(text, 'utf8')
}

/** Reads one queue line; null when it is not one (a torn write, a disk error). */
export function decodeEvent(text: string): HistorianEvent | null {
  const l = lineObject(text) as Partial<EventLine> | null
  if (!l) return null
  if (typeof l.i !== 'string' || typeof l.o !== 'string' || typeof l.t !== 'string' || typeof l.d !== 'string' || typeof l.e !== 'string') return null
  if (typeof l.f !== 'string' || typeof l.r !== 'number' || typeof l.p !== 'string') return null
  return { id: l.i, org: l.o, type: l.t, device: l.d, event: l.e, format: l.f, receivedAt: l.r, payload: Buffer.from(l.p, 'base64') }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload as JSON when the format says json and it parses; undefined otherwise (it then travels as base64). */
export function jsonPayload(e: Pick<HistorianEvent, 'format' | 'payload'>): { value: unknown } | undefined {
  if (e.format !== 'json') return undefined
  try {
    return { value: JSON.parse(utf8.decode(e.payload)) as unknown }
  } catch {
    return undefined
  }
}
