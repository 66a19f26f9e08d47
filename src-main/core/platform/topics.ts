/**
 * Watson IoT Platform MQTT topics (docs/wire/platform-mqtt.md §3), built and parsed in one place so no other
 * module concatenates topic strings.
 *
 * Validation rules, and why:
 * - Type ids, device ids, event ids, command ids and formats: 1–36 characters of `A-Z a-z 0-9 - _ .`. The
 *   platform documents this charset and length for its ids; the spec shows event/command names and formats only
 *   in that shape (`notify`, `asyncResponse`, `cmd-response`, `GET`, `PUT`, `json`), so the same rule applies to
 *   them [I]. Whatever the platform may tolerate beyond that, the rule keeps every value a single, literal topic
 *   level: no `/` (a level separator), no `+` or `#` (wildcards a broker would expand), no empty level, no
 *   characters that look alike in the UI (unicode).
 * - Device-management bundle ids and action ids: the DME package rules (docs/wire/dm-packages.md §4): ≤ 255 characters of the same set.
 *
 * Builders throw a VALIDATION AppError naming the offending part. `parseTopic` never throws: incoming topics are
 * untrusted input and anything that does not match a known shape exactly is `null`.
 */
import { DEVICE_ID_PATTERN, DM_ID_PATTERN, MAX_DM_ID, MAX_PLATFORM_ID } from '../../../src-shared/models/platform-ids'
import { AppError } from '../common/errors'

/** Which part of a topic a value fills; named in validation errors so the UI can point at the field. */
export type TopicPart = 'typeId' | 'deviceId' | 'eventId' | 'commandId' | 'format' | 'bundleId' | 'actionId'

export type ParsedTopic =
  | { kind: 'event' | 'command'; type: string; id: string; name: string; fmt: string }
  | { kind: 'dm-custom'; type: string; id: string; bundleId: string; actionId: string }
  | { kind: 'dm-response'; type: string; id: string }
  | { kind: 'dm-location'; type: string; id: string }

function isDmPart(part: TopicPart): boolean {
  return part === 'bundleId' || part === 'actionId'
}

/** True when `value` may fill `part` of a topic. */
export function isValidTopicPart(part: TopicPart, value: unknown): value is string {
  return typeof value === 'string' && (isDmPart(part) ? DM_ID_PATTERN : DEVICE_ID_PATTERN).test(value)
}

/** Returns `value` when it may fill `part`; otherwise throws VALIDATION with `platform.invalidTopicPart`. */
export function assertTopicPart(part: TopicPart, value: unknown): string {
  if (isValidTopicPart(part, value)) return value
  // The value goes into an error message and a UI string: keep it short and printable.
  const shown = typeof value === 'string' ? value.slice(0, 100) : String(value).slice(0, 100)
  const rule = `1–${isDmPart(part) ? MAX_DM_ID : MAX_PLATFORM_ID} characters of letters, digits, '-', '_' and '.'`
  throw AppError.withRef('VALIDATION', `Invalid ${part} ${JSON.stringify(shown)}: use ${rule}`, {
    key: 'platform.invalidTopicPart',
    params: { part, value: shown },
  })
}

/** `iot-2/type/<type>/id/<id>/evt/<event>/fmt/<fmt>`: an event as an application or gateway publishes/sees it. */
export function eventTopic(type: string, id: string, event: string, fmt: string): string {
  return `iot-2/type/${assertTopicPart('typeId', type)}/id/${assertTopicPart('deviceId', id)}/evt/${assertTopicPart('eventId', event)}/fmt/${assertTopicPart('format', fmt)}`
}

/** `iot-2/type/<type>/id/<id>/cmd/<cmd>/fmt/<fmt>`: a command to a device (how mbed commands arrive, docs/wire/mbed.md §2). */
export function commandTopic(type: string, id: string, command: string, fmt: string): string {
  return `iot-2/type/${assertTopicPart('typeId', type)}/id/${assertTopicPart('deviceId', id)}/cmd/${assertTopicPart('commandId', command)}/fmt/${assertTopicPart('format', fmt)}`
}

function perType(types: readonly string[] | '+', build: (type: string) => string): string[] {
  if (types === '+') return [build('+')]
  // Duplicates would make the broker deliver the same message twice (mosquitto does for overlapping filters).
  return [...new Set(types.map((t) => assertTopicPart('typeId', t)))].map(build)
}

/**
 * Filters for every command to devices of the given types (`'+'`: of any type), any device, command and format.
 * An empty list gives no filter.
 */
export function commandSubscription(types: readonly string[] | '+'): string[] {
  return perType(types, (t) => `iot-2/type/${t}/id/+/cmd/+/fmt/+`)
}

/** Filters for every custom device-management action addressed to devices of the given types, gateway form. */
export function dmCustomActionSubscription(types: readonly string[] | '+'): string[] {
  return perType(types, (t) => `iotdm-1/type/${t}/id/+/mgmt/custom/+/+`)
}

/** `iotdm-1/type/<t>/id/<d>/mgmt/custom/<bundleId>/<actionId>`: platform → gateway, a custom action for device d. */
export function dmCustomActionTopic(type: string, id: string, bundleId: string, actionId: string): string {
  return `iotdm-1/type/${assertTopicPart('typeId', type)}/id/${assertTopicPart('deviceId', id)}/mgmt/custom/${assertTopicPart('bundleId', bundleId)}/${assertTopicPart('actionId', actionId)}`
}

/** `iotdevice-1/type/<t>/id/<d>/response`: gateway → platform, the `{rc, reqId}` answer on behalf of device d. */
export function dmResponseTopic(type: string, id: string): string {
  return `iotdevice-1/type/${assertTopicPart('typeId', type)}/id/${assertTopicPart('deviceId', id)}/response`
}

/** Every managed device's location update, gateway form: `iotdevice-1/type/<t>/id/<d>/device/update/location`. */
export const DM_LOCATION_SUBSCRIPTION = 'iotdevice-1/type/+/id/+/device/update/location'

/**
 * A directly connected device's location update. It names no device: the platform knows the sender from its client
 * id, which MQTT does not pass on to a subscriber.
 */
export const DM_DIRECT_LOCATION_TOPIC = 'iotdevice-1/device/update/location'

/** `iotdm-1/type/<t>/id/<d>/response`: platform → gateway, the `{rc, reqId}` answer to device d's request. */
export function dmPlatformResponseTopic(type: string, id: string): string {
  return `iotdm-1/type/${assertTopicPart('typeId', type)}/id/${assertTopicPart('deviceId', id)}/response`
}

/** Recognises the topics above; anything else, or any part breaking the rules, is `null`. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string') return null
  const l = topic.split('/')
  const ok = (part: TopicPart, value: string | undefined): value is string => isValidTopicPart(part, value)
  const [p0, p1, type, p3, id] = l
  if (p1 !== 'type' || p3 !== 'id' || !ok('typeId', type) || !ok('deviceId', id)) return null

  if (p0 === 'iot-2' && l.length === 9 && l[7] === 'fmt' && (l[5] === 'evt' || l[5] === 'cmd')) {
    const kind = l[5] === 'evt' ? 'event' : 'command'
    const name = l[6]
    const fmt = l[8]
    if (!ok(kind === 'event' ? 'eventId' : 'commandId', name) || !ok('format', fmt)) return null
    return { kind, type, id, name, fmt }
  }
  if (p0 === 'iotdm-1' && l.length === 9 && l[5] === 'mgmt' && l[6] === 'custom') {
    const bundleId = l[7]
    const actionId = l[8]
    if (!ok('bundleId', bundleId) || !ok('actionId', actionId)) return null
    return { kind: 'dm-custom', type, id, bundleId, actionId }
  }
  if (p0 === 'iotdevice-1' && l.length === 6 && l[5] === 'response') return { kind: 'dm-response', type, id }
  if (p0 === 'iotdevice-1' && l.length === 8 && l[5] === 'device' && l[6] === 'update' && l[7] === 'location') return { kind: 'dm-location', type, id }
  return null
}

// ---------------------------------------------------------------------------------------------------------------
// Generic MQTT topic rules (MQTT 3.1.1 §4.7 / MQTT 5 §4.7), used by the link for whatever the caller passes.

/** MQTT's limit on a topic's UTF-8 length (a two-byte length prefix). */
const MAX_MQTT_TOPIC_BYTES = 65_535

function invalidTopic(kind: 'topic' | 'filter', value: string, why: string): AppError {
  const shown = value.slice(0, 200)
  return AppError.withRef('VALIDATION', `Invalid MQTT ${kind} ${JSON.stringify(shown)}: ${why}`, {
    key: kind === 'topic' ? 'platform.invalidTopic' : 'platform.invalidFilter',
    params: { value: shown },
  })
}

function checkCommon(kind: 'topic' | 'filter', value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidTopic(kind, String(value ?? ''), 'it must not be empty')
  if (value.includes('\u0000')) throw invalidTopic(kind, value, 'it must not contain a NUL character')
  if (Buffer.byteLength(value, 'utf8') > MAX_MQTT_TOPIC_BYTES) throw invalidTopic(kind, value, 'it is longer than 65535 bytes')
  return value
}

/** A topic a message may be published to: no wildcards. */
export function assertPublishTopic(topic: unknown): string {
  const t = checkCommon('topic', topic)
  if (t.includes('+') || t.includes('#')) throw invalidTopic('topic', t, "wildcards ('+', '#') are only allowed in subscriptions")
  return t
}

/** A subscription filter: '+' fills a whole level, '#' only as the whole last level. */
export function assertTopicFilter(filter: unknown): string {
  const f = checkCommon('filter', filter)
  const levels = f.split('/')
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) throw invalidTopic('filter', f, "'#' must be the whole last level")
    if (level.includes('+') && level !== '+') throw invalidTopic('filter', f, "'+' must fill a whole level")
  })
  return f
}

/**
 * Whether a received topic matches a subscription filter, with MQTT's rules: '+' matches one level (possibly
 * empty), '#' matches the rest including the parent level, and wildcards in the first level never match topics
 * starting with '$' (broker-internal topics). A shared-subscription filter `$share/<group>/<f>` matches as `f`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  let f = filter
  if (f.startsWith('$share/')) {
    const rest = f.slice('$share/'.length)
    const slash = rest.indexOf('/')
    if (slash < 0) return false
    f = rest.slice(slash + 1)
  }
  const fl = f.split('/')
  const tl = topic.split('/')
  if (topic.startsWith('$') && (fl[0] === '+' || fl[0] === '#')) return false
  for (let i = 0; i < fl.length; i++) {
    const level = fl[i]
    if (level === '#') return i === fl.length - 1
    if (i >= tl.length) return false
    if (level !== '+' && level !== tl[i]) return false
  }
  return fl.length === tl.length
}
