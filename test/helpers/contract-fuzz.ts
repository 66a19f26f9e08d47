/**
 * Malformed payloads for every channel, generated from the contract's own input schemas: a valid payload is built
 * from each schema first, then broken in one place at a time — a wrong type, a missing required key, an unknown
 * key (prototype names included), a string one character over its limit or megabytes long, nesting thousands of
 * levels deep, NaN and Infinity. Each payload is malformed by construction, not by asking the schema, so a schema
 * that wrongly accepts one (a non-strict object, a missing limit) is caught.
 */
import type { z } from 'zod'
import { channels, CHANNEL_NAMES, type ChannelName } from '../../src-shared/contract'
// The mbed peer's seeded generator (mulberry32): the same draw on every machine, so a failing payload can be found again.
import { prng } from '../peers/mbed/registry'

type Def = { type: string; [k: string]: unknown }
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def

type LengthCheck = { _zod: { def: { check: string; maximum?: number; minimum?: number } } }
const checksOf = (s: z.ZodType) => (defOf(s).checks ?? []) as LengthCheck[]

function maxLengthOf(s: z.ZodType): number | undefined {
  return checksOf(s).find((c) => c._zod.def.check === 'max_length')?._zod.def.maximum
}

/** The `.min(n)` of an array schema (0 without one). */
function minLengthOf(s: z.ZodType): number {
  return checksOf(s).find((c) => c._zod.def.check === 'min_length')?._zod.def.minimum ?? 0
}

/** Strings tried, in order, until one passes a string schema (ids, dates, addresses, URLs, base64, free text). */
const STRING_SAMPLES = [
  'meter',
  'm-1',
  'Ada Admin',
  'ops@example.com',
  '2025-03-01',
  '12345',
  '0123456789abcdef',
  'a:org1:app',
  'https://example.com',
  'mqtt://127.0.0.1:1883',
  'dGVzdA==',
  '3/0/4',
  '/3/0/4',
  'x',
  /** A bulk SIM job's id. */
  'jmx9jo1fy454ddb',
]

/** A valid value for `schema`, or undefined when none of the samples fits. */
export function validValue(schema: z.ZodType): unknown {
  const def = defOf(schema)
  const fits = (v: unknown) => schema.safeParse(v).success
  switch (def.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        if (v.safeParse(undefined).success) continue
        const value = validValue(v)
        if (value === undefined) return undefined
        out[k] = value
      }
      return fits(out) ? out : undefined
    }
    case 'string':
      return STRING_SAMPLES.find(fits) ?? FORM_SAMPLES.find(fits)
    case 'number':
      return [1, 30, 587, 0, 0.5].find(fits)
    case 'boolean':
      return true
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>)[0]
    case 'literal':
      return (def.values as unknown[])[0]
    case 'array': {
      // As many valid elements as the schema's minimum asks for (a route has at least one row), at least one where
      // an empty array does not fit (a list of columns).
      const min = minLengthOf(schema)
      if (min === 0 && fits([])) return []
      const element = validValue(def.element as z.ZodType)
      if (element === undefined) return undefined
      const items = Array.from({ length: Math.max(min, 1) }, () => element)
      return fits(items) ? items : undefined
    }
    case 'record':
    case 'custom':
      return fits({}) ? {} : undefined
    case 'union':
      for (const option of def.options as z.ZodType[]) {
        const value = validValue(option)
        if (value !== undefined && fits(value)) return value
      }
      return undefined
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return validValue(def.innerType as z.ZodType)
    case 'pipe':
      return validValue(def.in as z.ZodType)
    default:
      return undefined
  }
}

export interface FuzzPayload {
  channel: ChannelName
  /** What was broken, and where. */
  what: string
  /** Builds the payload when it is sent: thousands of them held at once would take gigabytes. */
  make(): unknown
}

function deep(levels: number, leaf: unknown, kind: 'array' | 'object'): unknown {
  let v = leaf
  for (let i = 0; i < levels; i++) v = kind === 'array' ? [v] : { a: v }
  return v
}

/**
 * Strings of a fixed form that none of the common samples takes, tried after them: an ISO date and time with its
 * offset (a time range), and a destination named by profile kind and id (`couchdb/<id>`, as the historian's rules and
 * status name one); a carrier account of the SIM inventory (`<carrier>:<profile id>`) and a notification id.
 */
const FORM_SAMPLES = ['2025-03-01T00:00:00Z', 'couchdb/main', 'jasper:ops', 'inbox:2025-03-01T00:00:00.000Z:000000:a1b2c3']

/** Shared by every payload that uses them (values are never changed, only sent). */
const HUGE_TEXT = 'é'.repeat(2 * 1024 * 1024)
const HUGE_ASCII = 'x'.repeat(4 * 1024 * 1024)
const DEEP_ARRAY = deep(10_000, 1, 'array')
const DEEP_OBJECT = deep(10_000, 'x', 'object')
/** How a value is named in a payload's description (JSON would call NaN and Infinity "null"). */
const label = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v))

const MANY_KEYS = Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i] as const)

/** Own members whose names are prototype words: JSON.parse makes them ordinary members, as a transport would. */
const PROTO_OBJECTS = ['{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}', '{"prototype": 1}']

/** A payload with `value` put at `path` (own members only, so "__proto__" stays a member). */
function setAt(base: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  if (path.length === 0) return value
  const clone = JSON.parse(JSON.stringify(base)) as Record<string, unknown>
  let node: Record<string, unknown> = clone
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
  const last = String(path.at(-1))
  if (remove) delete node[last]
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true })
  return clone
}

/** `kind`: the JSON kind of a value put in place of the node at `at` (absent for deeper or computed payloads). */
type Broken = Omit<FuzzPayload, 'channel'> & { isNull?: true; at?: string; kind?: string }

/** The JSON kind of a value, as zod names the schema that takes it. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  return typeof v === 'object' ? 'object' : typeof v
}

/** The kind of value a union option takes, through its wrappers. */
function optionKind(option: z.ZodType): string {
  const def = defOf(option)
  if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional'].includes(def.type)) return optionKind(def.innerType as z.ZodType)
  if (def.type === 'pipe') return optionKind(def.in as z.ZodType)
  return def.type === 'record' ? 'object' : def.type
}

/** Every malformation of one schema node at `path` of `base` (a valid payload). */
function breakNode(schema: z.ZodType, base: unknown, path: (string | number)[], out: Broken[]): void {
  const def = defOf(schema)
  const where = path.length ? path.join('.') : '(input)'
  const put = (what: string, value: unknown | (() => unknown)) =>
    out.push({
      what: `${where}: ${what}`,
      make: () => setAt(base, path, typeof value === 'function' ? (value as () => unknown)() : value),
      ...(value === null ? { isNull: true } : {}),
      ...(typeof value === 'function' ? {} : { at: where, kind: kindOf(value) }),
    })
  // A missing input is an empty one (the dispatcher reads `input ?? {}`): null at the top is not malformed.
  const nullable = def.type === 'nullable' || schema.safeParse(null).success || path.length === 0
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault': {
      // The inner schema's breakages, minus the values the wrapper makes valid.
      const inner: Broken[] = []
      breakNode(def.innerType as z.ZodType, base, path, inner)
      out.push(...inner.filter((p) => !(nullable && p.isNull)))
      return
    }
    case 'pipe':
      breakNode(def.in as z.ZodType, base, path, out)
      return
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>
      const current = (path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], base) ?? {}) as Record<string, unknown>
      for (const v of [42, 'text', true, [], ...(nullable ? [] : [null])]) put(`object replaced by ${label(v)}`, v)
      put('object nested 10,000 levels deep', DEEP_ARRAY)
      for (const key of ['unexpected', 'extra_key_'.repeat(50)]) put(`unknown key "${key.slice(0, 20)}"`, { ...current, [key]: 1 })
      for (const text of PROTO_OBJECTS) put(`unknown key ${Object.keys(JSON.parse(text) as object)[0]}`, () => ({ ...current, ...(JSON.parse(text) as object) }))
      if (path.length === 0) put('10,000 unknown keys', () => Object.assign(Object.fromEntries(MANY_KEYS), current))
      for (const [k, v] of Object.entries(shape)) {
        if (!v.safeParse(undefined).success) out.push({ what: `${where}: required "${k}" missing`, make: () => setAt(base, [...path, k], undefined, true) })
        if (current[k] === undefined) {
          const value = validValue(v)
          if (value === undefined) continue
          breakNode(v, setAt(base, [...path, k], value), [...path, k], out)
        } else breakNode(v, base, [...path, k], out)
      }
      return
    }
    case 'string': {
      for (const v of [42, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY, ...(nullable ? [] : [null])]) put(`string replaced by ${label(v)}`, v)
      const max = maxLengthOf(schema)
      if (max !== undefined) put(`string one over its limit of ${max}`, 'a'.repeat(max + 1))
      if (max !== undefined && max < HUGE_TEXT.length) put('string of 4 MiB', HUGE_TEXT)
      put('string nested 10,000 levels deep', DEEP_OBJECT)
      return
    }
    case 'number':
      for (const v of ['1', true, {}, [], Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, ...(nullable ? [] : [null])]) put(`number replaced by ${label(v)}`, v)
      return
    case 'boolean':
      for (const v of ['true', 1, {}, ...(nullable ? [] : [null])]) put(`boolean replaced by ${label(v)}`, v)
      return
    case 'enum':
    case 'literal':
      for (const v of ['not-one-of-them', 7, {}, ...(nullable ? [] : [null])]) put(`enum value replaced by ${label(v)}`, v)
      return
    case 'array': {
      for (const v of ['text', {}, 3, ...(nullable ? [] : [null])]) put(`array replaced by ${label(v)}`, v)
      const max = maxLengthOf(schema)
      const element = validValue(def.element as z.ZodType)
      if (max !== undefined && element !== undefined) put(`array one over its limit of ${max}`, () => Array.from({ length: max + 1 }, () => element))
      const min = minLengthOf(schema)
      if (min > 0 && element !== undefined) put(`array one under its minimum of ${min}`, () => Array.from({ length: min - 1 }, () => element))
      put('array nested 10,000 levels deep', DEEP_ARRAY)
      if (element !== undefined) breakNode(def.element as z.ZodType, setAt(base, path, [element]), [...path, 0], out)
      return
    }
    case 'record':
    case 'custom':
      // Free-form values: JSON-only, bounded, without prototype keys.
      for (const v of ['text', 7, [], ...(nullable ? [] : [null])]) put(`object replaced by ${label(v)}`, v)
      for (const text of PROTO_OBJECTS) put(`prototype key ${Object.keys(JSON.parse(text) as object)[0]}`, () => JSON.parse(text))
      put('value nested 10,000 levels deep', { v: DEEP_OBJECT })
      put('NaN inside', { n: Number.NaN })
      put('Infinity inside', { n: Number.POSITIVE_INFINITY })
      put('4 MiB inside', { s: HUGE_ASCII })
      return
    case 'union': {
      // A value of a kind one option takes (an id string where a route id or a whole route is accepted) is not
      // malformed for the union: the kinds are known from the options' types, never by parsing the value.
      const options = def.options as z.ZodType[]
      // Objects stay: options that are objects tell themselves apart by their keys (a discriminated union).
      const kinds = options.map(optionKind).filter((k) => k !== 'object')
      for (const v of [42, 'text', true, [], ...(nullable ? [] : [null])]) if (!kinds.includes(kindOf(v))) put(`union replaced by ${label(v)}`, v)
      // Each option broken from its own valid value (a discriminated union is many channels in one).
      for (const [i, option] of options.entries()) {
        const value = validValue(option)
        if (value === undefined) continue
        const others = options
          .filter((_, j) => j !== i)
          .map(optionKind)
          .filter((k) => k !== 'object')
        const broken: Broken[] = []
        breakNode(option, setAt(base, path, value), path, broken)
        out.push(...broken.filter((p) => p.at !== where || !others.includes(p.kind!)))
      }
      return
    }
    default:
      throw new Error(`contract-fuzz does not know zod type "${def.type}" at ${where}: teach it`)
  }
}

/** Every channel's payloads; channels for which no valid base payload could be built are listed in `noBase`. */
export function contractPayloads(): { payloads: FuzzPayload[]; noBase: ChannelName[] } {
  const payloads: FuzzPayload[] = []
  const noBase: ChannelName[] = []
  for (const channel of CHANNEL_NAMES) {
    const schema = channels[channel].input as z.ZodType
    const base = validValue(schema)
    if (base === undefined) {
      noBase.push(channel)
      continue
    }
    const broken: Broken[] = []
    breakNode(schema, base, [], broken)
    for (const { what, make } of broken) payloads.push({ channel, what, make })
  }
  return { payloads, noBase }
}

/** `count` payloads drawn with `seed`: each channel's in a shuffled order, the channels in turn, so a small count still reaches every one. */
export function samplePayloads(all: FuzzPayload[], count: number, seed: number): FuzzPayload[] {
  const random = prng(seed)
  const byChannel = new Map<ChannelName, FuzzPayload[]>()
  for (const p of all) byChannel.set(p.channel, [...(byChannel.get(p.channel) ?? []), p])
  const shuffled = (list: FuzzPayload[]) => {
    const copy = [...list]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
    }
    return copy
  }
  const pools = [...byChannel.values()].map(shuffled)
  const chosen: FuzzPayload[] = []
  while (chosen.length < count && pools.some((p) => p.length > 0)) {
    for (const pool of pools) {
      const next = pool.pop()
      if (next && chosen.length < count) chosen.push(next)
    }
  }
  return chosen
}
