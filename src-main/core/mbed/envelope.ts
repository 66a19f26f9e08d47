/**
 * The notification envelope (docs/wire/mbed.md §1.6): the same object arrives as a long-poll body, a WebSocket frame
 * or a callback body. Every top-level key is optional and holds an array.
 *
 * Parsing is per item: one malformed item is counted, reported to `onMalformed` and skipped, and the rest of the
 * envelope still goes through — a single odd item from the service must not cost the operator a whole batch.
 * Unknown top-level keys are ignored (the service may add some; §1.5 serialization options add fields too).
 */
import { z } from 'zod'
import { isStrictBase64 } from '../../../src-shared/models/base64'

export const ENVELOPE_KEYS = ['notifications', 'registrations', 'reg-updates', 'de-registrations', 'registrations-expired', 'async-responses'] as const
export type EnvelopeKey = (typeof ENVELOPE_KEYS)[number]

/** What §1.6 says payloads are: strict base64, the rule commands and the console's form follow too. */
export { isStrictBase64 }

/**
 * The largest payload the bridge takes, decoded: §1.3's 1 MiB limit on a resource value. [I] The spec gives no limit
 * for notifications; a value mbed would not accept in a write is not bridged either (and the platform's own MQTT limit,
 * 128 KiB per message, is far below it anyway). Larger payloads are counted as malformed and skipped.
 */
export const MAX_PAYLOAD_BYTES = 1_048_576
const MAX_PAYLOAD_CHARS = 4 * Math.ceil(MAX_PAYLOAD_BYTES / 3)

/**
 * §1.6: `max-age` is a number in example frames and a string in the Python models; both reach clients. A string
 * must hold a whole number of seconds; the result is always a number.
 */
const maxAgeSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\s*\d{1,12}\s*$/)
    .transform((s) => Number(s)),
])

const base64Schema = z.string().superRefine((value, ctx) => {
  // Length first: the cheap test spares the character loop a payload that is refused anyway.
  if (value.length > MAX_PAYLOAD_CHARS) ctx.addIssue({ code: 'custom', message: `payload larger than ${MAX_PAYLOAD_BYTES} bytes (${value.length} base64 characters)` })
  else if (!isStrictBase64(value)) ctx.addIssue({ code: 'custom', message: 'payload is not base64' })
})

export const notificationSchema = z.object({
  ep: z.string().min(1),
  path: z.string().min(1),
  ct: z.string().optional(),
  payload: base64Schema,
  'max-age': maxAgeSchema.optional(),
})

const resourceSchema = z.object({
  path: z.string().min(1),
  rt: z.string().optional(),
  ct: z.string().optional(),
  if: z.string().optional(),
  obs: z.boolean().optional(),
})

export const registrationSchema = z.object({
  ep: z.string().min(1),
  ept: z.string().optional(),
  'original-ep': z.string().optional(),
  q: z.boolean().optional(),
  resources: z.array(resourceSchema).optional(),
})

/**
 * §1.6: endpoint-name strings; objects only under the `deregistrations_as_object` serialization option, whose shape
 * is not documented [?] — an object carrying `ep` is accepted as that name.
 */
const endpointNameSchema = z.union([z.string().min(1), z.object({ ep: z.string().min(1) }).transform((o) => o.ep)])

export const asyncResponseSchema = z.object({
  id: z.string().min(1),
  status: z.number().int(),
  payload: base64Schema.optional(),
  ct: z.string().optional(),
  'max-age': maxAgeSchema.optional(),
  error: z.string().optional(),
})

export interface MbedNotification {
  ep: string
  path: string
  ct?: string
  /** base64, as received. */
  payload: string
  maxAge?: number
}

export interface MbedRegistration {
  ep: string
  /** Endpoint type; absent when the service did not say. */
  ept?: string
  originalEp?: string
  queueMode?: boolean
  resources: { path: string; rt?: string; ct?: string; obs?: boolean }[]
}

export interface MbedAsyncResponse {
  id: string
  status: number
  payload?: string
  ct?: string
  maxAge?: number
  error?: string
}

export interface MbedEnvelope {
  notifications: MbedNotification[]
  registrations: MbedRegistration[]
  regUpdates: MbedRegistration[]
  deRegistrations: string[]
  registrationsExpired: string[]
  asyncResponses: MbedAsyncResponse[]
  /** Items (or whole keys that were not arrays, or a body that was not an object) that could not be read. */
  malformed: number
}

export interface MalformedItem {
  key: EnvelopeKey | 'envelope'
  /** Position in its array, -1 for the key or the envelope as a whole. */
  index: number
  /** The first zod issue, short. Never the item itself: it may be large. */
  issue: string
}

function emptyEnvelope(): MbedEnvelope {
  return { notifications: [], registrations: [], regUpdates: [], deRegistrations: [], registrationsExpired: [], asyncResponses: [], malformed: 0 }
}

function issueText(error: z.ZodError): string {
  const first = error.issues[0]
  if (!first) return 'invalid'
  const where = first.path.length > 0 ? `${first.path.join('.')}: ` : ''
  return `${where}${first.message}`.slice(0, 200)
}

function toRegistration(r: z.output<typeof registrationSchema>): MbedRegistration {
  return {
    ep: r.ep,
    ...(r.ept !== undefined ? { ept: r.ept } : {}),
    ...(r['original-ep'] !== undefined ? { originalEp: r['original-ep'] } : {}),
    ...(r.q !== undefined ? { queueMode: r.q } : {}),
    resources: (r.resources ?? []).map((x) => ({
      path: x.path,
      ...(x.rt !== undefined ? { rt: x.rt } : {}),
      ...(x.ct !== undefined ? { ct: x.ct } : {}),
      ...(x.obs !== undefined ? { obs: x.obs } : {}),
    })),
  }
}

/**
 * Reads an envelope (already JSON-parsed). Never throws: whatever cannot be read is counted in `malformed` and
 * reported through `onMalformed`.
 */
export function parseEnvelope(raw: unknown, onMalformed?: (item: MalformedItem) => void): MbedEnvelope {
  const out = emptyEnvelope()
  const bad = (key: MalformedItem['key'], index: number, issue: string): void => {
    out.malformed++
    onMalformed?.({ key, index, issue })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    bad('envelope', -1, raw === undefined ? 'not JSON' : 'not a JSON object')
    return out
  }
  const body = raw as Record<string, unknown>

  const each = <S extends z.ZodType>(key: EnvelopeKey, schema: S, take: (value: z.output<S>) => void): void => {
    const list = body[key]
    if (list === undefined || list === null) return
    if (!Array.isArray(list)) {
      bad(key, -1, 'not an array')
      return
    }
    for (let i = 0; i < list.length; i++) {
      const parsed = schema.safeParse(list[i])
      if (parsed.success) take(parsed.data)
      else bad(key, i, issueText(parsed.error))
    }
  }

  each('notifications', notificationSchema, (n) => {
    const item: MbedNotification = { ep: n.ep, path: n.path, payload: n.payload }
    if (n.ct !== undefined) item.ct = n.ct
    if (n['max-age'] !== undefined) item.maxAge = n['max-age']
    out.notifications.push(item)
  })
  each('registrations', registrationSchema, (r) => out.registrations.push(toRegistration(r)))
  each('reg-updates', registrationSchema, (r) => out.regUpdates.push(toRegistration(r)))
  each('de-registrations', endpointNameSchema, (ep) => out.deRegistrations.push(ep))
  each('registrations-expired', endpointNameSchema, (ep) => out.registrationsExpired.push(ep))
  each('async-responses', asyncResponseSchema, (a) => {
    const item: MbedAsyncResponse = { id: a.id, status: a.status }
    if (a.payload !== undefined) item.payload = a.payload
    if (a.ct !== undefined) item.ct = a.ct
    if (a['max-age'] !== undefined) item.maxAge = a['max-age']
    if (a.error !== undefined) item.error = a.error
    out.asyncResponses.push(item)
  })
  return out
}

/** Items the envelope carried, malformed ones included. */
export function envelopeSize(e: MbedEnvelope): number {
  return e.notifications.length + e.registrations.length + e.regUpdates.length + e.deRegistrations.length + e.registrationsExpired.length + e.asyncResponses.length + e.malformed
}
