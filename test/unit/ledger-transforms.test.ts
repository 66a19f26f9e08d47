import { describe, expect, it } from 'vitest'
import { parseDecimal, scaledInteger, scaledText } from '../../src-main/core/ledger/decimal'
import { readPath, resolveRows } from '../../src-main/core/ledger/route-transforms'
import { routeRowSchema, type RouteRow } from '../../src-shared/models/ledger'

const row = (r: Partial<RouteRow> & { parameter: string }): RouteRow => routeRowSchema.parse({ source: { kind: 'path', path: `d.${r.parameter}` }, ...r })
const at = new Date('2026-01-02T03:04:05.678Z')
const one = (r: RouteRow, type: string, payload: unknown) => resolveRows([r], new Map([[r.parameter, type]]), { payload, receivedAt: at })[0]!

describe('exact decimals', () => {
  it('scales without binary rounding and rounds half away from zero', () => {
    expect(scaledInteger(parseDecimal('21.5')!, 3)).toBe(21500n)
    expect(scaledInteger(parseDecimal('0.1')!, 18)).toBe(100000000000000000n)
    expect(scaledInteger(parseDecimal('2.5')!, 0)).toBe(3n)
    expect(scaledInteger(parseDecimal('-2.5')!, 0)).toBe(-3n)
    expect(scaledInteger(parseDecimal('1e-7')!, 9)).toBe(100n)
    expect(scaledText(parseDecimal('48.8566')!, -2)).toBe('0.488566')
    expect(parseDecimal('1e999')).toBeNull()
    expect(parseDecimal('12abc')).toBeNull()
  })
})

describe('route transforms', () => {
  it('reads paths with indexes and refuses what is not there', () => {
    expect(readPath({ d: { pos: [1, { x: 2 }] } }, 'd.pos[1].x')).toBe(2)
    expect(readPath({ d: { pos: [1] } }, 'd.pos[3]')).toBeUndefined()
    expect(readPath({ d: 'text' }, 'd.length')).toBeUndefined()
    expect(readPath({}, 'constructor')).toBeUndefined()
  })

  it('checks int ranges after scaling (overflow) and min/max before (range)', () => {
    expect(one(row({ parameter: 't', scale: 3 }), 'int256', { d: { t: 21.5 } })).toMatchObject({ ok: true, value: 21500n })
    expect(one(row({ parameter: 't', scale: 3 }), 'int8', { d: { t: 0.2 } })).toMatchObject({ ok: false, error: { name: 'Overflow', args: ['200', 'int8'] } })
    expect(one(row({ parameter: 't' }), 'uint256', { d: { t: -1 } })).toMatchObject({ ok: false, error: { name: 'Overflow' } })
    expect(one(row({ parameter: 't' }), 'int256', { d: { t: 2 ** 256 } })).toMatchObject({ ok: false, error: { name: 'Overflow' } })
    expect(one(row({ parameter: 't', min: -40, max: 85 }), 'int256', { d: { t: 90 } })).toMatchObject({ ok: false, error: { name: 'OutOfRange' } })
    expect(one(row({ parameter: 't', min: -40, max: 85 }), 'int256', { d: { t: '85' } })).toMatchObject({ ok: true, value: 85n })
    expect(one(row({ parameter: 't' }), 'int256', { d: { t: 'warm' } })).toMatchObject({ ok: false, error: { name: 'NotANumber' } })
    expect(one(row({ parameter: 't' }), 'integer', { d: { t: 2 ** 60 } })).toMatchObject({ ok: false, error: { name: 'Overflow' } })
  })

  it('applies defaults, optional values and required ones', () => {
    expect(one(row({ parameter: 'c', default: 'unknown' }), 'string', { d: {} })).toMatchObject({ ok: true, value: 'unknown' })
    expect(one(row({ parameter: 'c', required: false }), 'string', { d: {} })).toMatchObject({ ok: true, value: undefined })
    expect(one(row({ parameter: 'c' }), 'string', { d: { c: null } })).toMatchObject({ ok: false, error: { name: 'MissingValue' } })
    expect(one(row({ parameter: 'n', default: '7', scale: 1 }), 'uint8', { d: {} })).toMatchObject({ ok: true, value: 70n })
  })

  it('converts units within one dimension, then scales', () => {
    expect(one(row({ parameter: 't', unit: { from: 'degF', to: 'degC' }, scale: 3 }), 'int256', { d: { t: 212 } })).toMatchObject({ ok: true, value: 100000n })
    expect(one(row({ parameter: 't', unit: { from: 'K', to: 'degC' }, scale: 2 }), 'int256', { d: { t: 0 } })).toMatchObject({ ok: true, value: -27315n })
    expect(one(row({ parameter: 'v', unit: { from: 'km/h', to: 'm/s' }, scale: 0 }), 'int256', { d: { v: 36 } })).toMatchObject({ ok: true, value: 10n })
    expect(one(row({ parameter: 'v', unit: { from: 'km', to: 'degC' } }), 'int256', { d: { v: 1 } })).toMatchObject({ ok: false, error: { name: 'UnitMismatch' } })
  })

  it('produces constants, server timestamps, base64 payloads, booleans, addresses and bytes', () => {
    expect(one(row({ parameter: 'k', source: { kind: 'constant', value: 'fleet-1' } }), 'string', {})).toMatchObject({ value: 'fleet-1' })
    expect(one(row({ parameter: 'at', source: { kind: 'serverTimestamp', format: 'unix-s' } }), 'uint64', {})).toMatchObject({ value: 1767323045n })
    expect(one(row({ parameter: 'at', source: { kind: 'serverTimestamp', format: 'iso' } }), 'string', {})).toMatchObject({ value: at.toISOString() })
    const mbed = { ep: 'node-1', path: '/3303/0/5700', payload: Buffer.from('23.25').toString('base64') }
    expect(one(row({ parameter: 'p', source: { kind: 'path', path: 'payload', decode: 'base64' }, scale: 2 }), 'int256', mbed)).toMatchObject({ ok: true, value: 2325n })
    expect(one(row({ parameter: 'p', source: { kind: 'path', path: 'payload', decode: 'base64' } }), 'int256', { payload: '%%%' })).toMatchObject({ ok: false, error: { name: 'BadBase64' } })
    expect(one(row({ parameter: 'b' }), 'bool', { d: { b: 'true' } })).toMatchObject({ value: true })
    expect(one(row({ parameter: 'b' }), 'bool', { d: { b: 'yes' } })).toMatchObject({ ok: false, error: { name: 'NotABoolean' } })
    expect(one(row({ parameter: 'a' }), 'address', { d: { a: '0x8464135c8f25da09e49bc8782676a84730c318bc' } })).toMatchObject({ value: '0x8464135c8F25Da09e49BC8782676a84730C318bC' })
    expect(one(row({ parameter: 'a' }), 'address', { d: { a: '0x8464135C8f25da09e49bc8782676a84730c318bc' } })).toMatchObject({ ok: false, error: { name: 'BadAddress' } })
    expect(one(row({ parameter: 'h' }), 'bytes4', { d: { h: '0x1234' } })).toMatchObject({ ok: false, error: { name: 'BadBytes' } })
    expect(one(row({ parameter: 'x' }), 'tuple', { d: { x: 1 } })).toMatchObject({ ok: false, error: { name: 'UnsupportedType' } })
  })

  it('keeps JSON types for Fabric rows and scales numbers there too', () => {
    expect(one(row({ parameter: 'loc' }), 'json', { d: { loc: { lat: 1 } } })).toMatchObject({ value: { lat: 1 } })
    expect(one(row({ parameter: 't', scale: 1 }), 'json', { d: { t: 2.25 } })).toMatchObject({ value: 22.5 })
    expect(one(row({ parameter: 't', type: 'number', scale: -1 }), 'number', { d: { t: 5 } })).toMatchObject({ value: 0.5 })
  })
})
