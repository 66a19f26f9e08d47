/**
 * A route's rows turn one device event into contract arguments: "parameter ← source + transform, required or
 * default" (the Watson mapping, docs/wire/ledger.md §4). Pure: the same code serves the preview, the queue and the
 * CLI, and every refusal is named (MissingValue, OutOfRange, Overflow…) so the operator sees which row and why.
 *
 * Order of a row: source → default when missing → decode → unit → range (min/max) → scale → the parameter's type with
 * its overflow check. Unit conversions are affine doubles (°F → °C cannot be exact anyway) rounded to 15 significant
 * digits; everything after them is exact (decimal.ts).
 */
import { getAddress, isAddress } from 'viem'
import type { LedgerFailure, RouteRow } from '../../../src-shared/models/ledger'
import { isStrictBase64 } from '../../../src-shared/models/base64'
import { decimalOfNumber, parseDecimal, scaledInteger, scaledText, toNumber, type Decimal } from './decimal'

export type ArgValue = bigint | number | string | boolean

export type RowOutcome = { parameter: string; type: string; ok: true; value: ArgValue | undefined } | { parameter: string; type: string; ok: false; error: LedgerFailure }

export interface EventInput {
  payload: unknown
  receivedAt: Date
}

type Dimension = 'temperature' | 'length' | 'speed' | 'pressure'
/** To the dimension's base unit (°C, m, m/s, Pa): value × factor + offset. */
const UNITS: Record<string, { dimension: Dimension; factor: number; offset: number }> = {
  degC: { dimension: 'temperature', factor: 1, offset: 0 },
  degF: { dimension: 'temperature', factor: 5 / 9, offset: (-32 * 5) / 9 },
  K: { dimension: 'temperature', factor: 1, offset: -273.15 },
  m: { dimension: 'length', factor: 1, offset: 0 },
  km: { dimension: 'length', factor: 1000, offset: 0 },
  mi: { dimension: 'length', factor: 1609.344, offset: 0 },
  'm/s': { dimension: 'speed', factor: 1, offset: 0 },
  'km/h': { dimension: 'speed', factor: 1 / 3.6, offset: 0 },
  mph: { dimension: 'speed', factor: 0.44704, offset: 0 },
  hPa: { dimension: 'pressure', factor: 100, offset: 0 },
  kPa: { dimension: 'pressure', factor: 1000, offset: 0 },
  inHg: { dimension: 'pressure', factor: 3386.389, offset: 0 },
}

export function unitsCompatible(from: string, to: string): boolean {
  return UNITS[from] !== undefined && UNITS[from].dimension === UNITS[to]?.dimension
}

class RowError extends Error {
  constructor(readonly failure: LedgerFailure) {
    super(failure.message)
  }
}

function fail(name: string, message: string, args: string[] = []): never {
  throw new RowError({ code: 'TRANSFORM', name, message, ...(args.length ? { args } : {}) })
}

/** Reads `d.pos[0]` from the event's JSON; undefined when any step is missing. */
export function readPath(payload: unknown, path: string): unknown {
  let node: unknown = payload
  for (const part of path.split('.')) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part)
    if (!m) return undefined
    const name = m[1]!
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, name)) return undefined
    node = (node as Record<string, unknown>)[name]
    for (const index of m[2]!.match(/\d+/g) ?? []) {
      if (!Array.isArray(node) || Number(index) >= node.length) return undefined
      node = node[Number(index)]
    }
  }
  return node
}

function sourceValue(row: RouteRow, event: EventInput): unknown {
  const s = row.source
  if (s.kind === 'constant') return s.value
  if (s.kind === 'serverTimestamp') {
    const ms = event.receivedAt.getTime()
    return s.format === 'iso' ? event.receivedAt.toISOString() : s.format === 'unix-ms' ? ms : Math.floor(ms / 1000)
  }
  const raw = readPath(event.payload, s.path)
  if (raw === undefined || raw === null || s.decode === 'none') return raw
  if (typeof raw !== 'string' || !isStrictBase64(raw)) fail('BadBase64', `${s.path} is not base64 text`, [s.path])
  return Buffer.from(raw, 'base64').toString('utf8')
}

function decimalOf(value: unknown, parameter: string): Decimal {
  const d = typeof value === 'number' ? decimalOfNumber(value) : typeof value === 'string' ? parseDecimal(value) : null
  if (!d) fail('NotANumber', `${parameter}: ${JSON.stringify(value)?.slice(0, 60) ?? 'value'} is not a number`, [parameter])
  return d
}

/** Unit conversion and range: what the operator wrote in the row's own terms, before the scale. */
function measured(row: RouteRow, value: unknown): Decimal {
  let d = decimalOf(value, row.parameter)
  if (row.unit && row.unit.from !== row.unit.to) {
    const from = UNITS[row.unit.from]!
    const to = UNITS[row.unit.to]!
    if (from.dimension !== to.dimension) fail('UnitMismatch', `${row.parameter}: ${row.unit.from} cannot be converted to ${row.unit.to}`, [row.unit.from, row.unit.to])
    const base = toNumber(d) * from.factor + from.offset
    d = decimalOfNumber(Number(((base - to.offset) / to.factor).toPrecision(15)))!
  }
  const n = toNumber(d)
  if ((row.min !== undefined && n < row.min) || (row.max !== undefined && n > row.max)) {
    fail('OutOfRange', `${row.parameter}: ${n} is outside ${row.min ?? '−∞'}…${row.max ?? '+∞'}`, [String(n), String(row.min ?? ''), String(row.max ?? '')])
  }
  return d
}

function integerBounds(type: string): { min: bigint; max: bigint } | null {
  const m = /^(u?)int(\d*)$/.exec(type)
  if (m) {
    const bits = BigInt(m[2] || '256')
    return m[1] ? { min: 0n, max: 2n ** bits - 1n } : { min: -(2n ** (bits - 1n)), max: 2n ** (bits - 1n) - 1n }
  }
  if (type === 'integer') return { min: -(2n ** 53n - 1n), max: 2n ** 53n - 1n }
  return null
}

function asBoolean(value: unknown, parameter: string): boolean {
  if (value === true || value === 'true' || value === 1 || value === '1') return true
  if (value === false || value === 'false' || value === 0 || value === '0') return false
  return fail('NotABoolean', `${parameter}: ${JSON.stringify(value)?.slice(0, 60) ?? 'value'} is not true or false`, [parameter])
}

function typed(row: RouteRow, type: string, value: unknown): ArgValue {
  const bounds = integerBounds(type)
  if (bounds) {
    const v = scaledInteger(measured(row, value), row.scale)
    if (v < bounds.min || v > bounds.max) fail('Overflow', `${row.parameter}: ${v} does not fit ${type}`, [v.toString(), type])
    return type === 'integer' ? Number(v) : v
  }
  if (type === 'number' || (type === 'json' && typeof value === 'number' && (row.scale !== 0 || row.unit))) {
    const n = Number(scaledText(measured(row, value), row.scale))
    if (!Number.isFinite(n)) fail('Overflow', `${row.parameter}: does not fit a JSON number`, [type])
    return n
  }
  if (type === 'bool' || type === 'boolean') return asBoolean(value, row.parameter)
  if (type === 'address') {
    if (typeof value !== 'string' || !isAddress(value)) fail('BadAddress', `${row.parameter}: not an address`, [row.parameter])
    return getAddress(value)
  }
  const bytes = /^bytes(\d*)$/.exec(type)
  if (bytes) {
    const size = bytes[1] ? Number(bytes[1]) : undefined
    if (typeof value !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(value) || (size !== undefined && value.length !== 2 + size * 2)) {
      fail('BadBytes', `${row.parameter}: not 0x-prefixed hex${size ? ` of ${size} bytes` : ''}`, [row.parameter])
    }
    return value
  }
  if (type === 'string') {
    if (typeof value === 'number' || ((row.scale !== 0 || row.unit) && typeof value === 'string' && parseDecimal(value))) return scaledText(measured(row, value), row.scale)
    return typeof value === 'string' ? value : JSON.stringify(value)
  }
  if (type === 'json') return value as ArgValue
  return fail('UnsupportedType', `${row.parameter}: parameters of type ${type} cannot be mapped`, [type])
}

/**
 * Resolves every row against one event. `types` gives each parameter's type (the ABI's, or the Fabric row's own, or
 * 'json' to keep the JSON type). A missing optional value without default resolves to undefined: the encoder
 * decides what that means (omitted from a JSON string, the type's zero value for the ABI).
 */
export function resolveRows(rows: readonly RouteRow[], types: ReadonlyMap<string, string>, event: EventInput): RowOutcome[] {
  return rows.map((row) => {
    const type = types.get(row.parameter) ?? row.type ?? 'json'
    try {
      let value = sourceValue(row, event)
      if (value === undefined || value === null) {
        if (row.default !== undefined) value = row.default
        else if (row.required) fail('MissingValue', `${row.parameter}: the event has no ${row.source.kind === 'path' ? row.source.path : 'value'}`, [row.parameter])
        else return { parameter: row.parameter, type, ok: true, value: undefined }
      }
      return { parameter: row.parameter, type, ok: true, value: typed(row, type, value) }
    } catch (e) {
      if (e instanceof RowError) return { parameter: row.parameter, type, ok: false, error: e.failure }
      throw e
    }
  })
}

export function showArg(value: ArgValue | undefined): string {
  if (value === undefined) return ''
  return typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
}
