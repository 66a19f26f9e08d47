/**
 * The notification envelope parser (src-main/core/mbed/envelope.ts, docs/wire/mbed.md §1.6): every key, max-age as
 * number or string, malformed items counted and skipped without losing the rest.
 */
import { describe, expect, it } from 'vitest'
import { MAX_PAYLOAD_BYTES, envelopeSize, isStrictBase64, parseEnvelope, type MalformedItem } from '../../src-main/core/mbed/envelope'

describe('parseEnvelope', () => {
  it('reads every key of §1.6', () => {
    const e = parseEnvelope({
      notifications: [{ ep: 'node-001', path: '/3200/0/5501', ct: 'text/plain', payload: 'NTc=', 'max-age': 0 }],
      registrations: [{ ep: 'node-002', ept: 'Light', q: false, resources: [{ path: '/3/0/0', rt: 'x', ct: 'text/plain', if: 'core', obs: true }] }],
      'reg-updates': [{ ep: 'node-003', ept: 'Sensor', 'original-ep': 'orig', resources: [] }],
      'de-registrations': ['node-004'],
      'registrations-expired': ['node-005'],
      'async-responses': [
        { id: '1#node-001@d/3/0/1', status: 200, payload: 'MQ==', ct: 'text/plain', 'max-age': 600 },
        { id: 'abc', status: 504, error: 'TIMEOUT' },
      ],
    })
    expect(e.malformed).toBe(0)
    expect(e.notifications).toEqual([{ ep: 'node-001', path: '/3200/0/5501', ct: 'text/plain', payload: 'NTc=', maxAge: 0 }])
    expect(e.registrations).toEqual([{ ep: 'node-002', ept: 'Light', queueMode: false, resources: [{ path: '/3/0/0', rt: 'x', ct: 'text/plain', obs: true }] }])
    expect(e.regUpdates).toEqual([{ ep: 'node-003', ept: 'Sensor', originalEp: 'orig', resources: [] }])
    expect(e.deRegistrations).toEqual(['node-004'])
    expect(e.registrationsExpired).toEqual(['node-005'])
    expect(e.asyncResponses).toEqual([
      { id: '1#node-001@d/3/0/1', status: 200, payload: 'MQ==', ct: 'text/plain', maxAge: 600 },
      { id: 'abc', status: 504, error: 'TIMEOUT' },
    ])
    expect(envelopeSize(e)).toBe(7)
  })

  it('takes max-age as a number or a string of digits, and nothing else', () => {
    const e = parseEnvelope({
      notifications: [
        { ep: 'a', path: '/1', payload: '', 'max-age': 60 },
        { ep: 'a', path: '/1', payload: '', 'max-age': '60' },
        { ep: 'a', path: '/1', payload: '' },
        { ep: 'a', path: '/1', payload: '', 'max-age': 'soon' },
        { ep: 'a', path: '/1', payload: '', 'max-age': -1 },
      ],
    })
    expect(e.notifications.map((n) => n.maxAge)).toEqual([60, 60, undefined])
    expect(e.malformed).toBe(2)
  })

  it('counts malformed items, reports them, and keeps the rest', () => {
    const seen: MalformedItem[] = []
    const e = parseEnvelope(
      {
        notifications: [{ ep: 'a', path: '/1', payload: 'NTc=' }, { ep: 'a', path: '/1', payload: 'not base64!' }, { path: '/1', payload: '' }, 'x', null],
        'async-responses': [{ id: 'x' }, { id: 'y', status: 200 }],
        registrations: { ep: 'not-an-array' },
        'de-registrations': [3, 'ok-ep'],
        future: [1, 2, 3],
      },
      (item) => seen.push(item),
    )
    expect(e.notifications).toHaveLength(1)
    expect(e.asyncResponses).toEqual([{ id: 'y', status: 200 }])
    expect(e.deRegistrations).toEqual(['ok-ep'])
    expect(e.malformed).toBe(7)
    expect(seen.map((s) => `${s.key}:${s.index}`)).toEqual(['notifications:1', 'notifications:2', 'notifications:3', 'notifications:4', 'registrations:-1', 'de-registrations:0', 'async-responses:0'])
  })

  it('accepts de-registrations as objects carrying ep (deregistrations_as_object)', () => {
    expect(parseEnvelope({ 'de-registrations': [{ ep: 'node-9', extra: true }] }).deRegistrations).toEqual(['node-9'])
  })

  it('treats a body that is not an object as one malformed envelope', () => {
    expect(parseEnvelope(undefined).malformed).toBe(1)
    expect(parseEnvelope([]).malformed).toBe(1)
    expect(parseEnvelope('{}').malformed).toBe(1)
    expect(parseEnvelope({}).malformed).toBe(0)
  })
})

describe('payload checks (issue 10: a 7.5 MB payload stopped the bridge)', () => {
  it('checks base64 in linear time without a recursing regex, whatever the length', () => {
    const huge = Buffer.alloc(7_500_000).toString('base64')
    expect(isStrictBase64(huge)).toBe(true)
    expect(isStrictBase64(`${huge.slice(0, -4)}A===`)).toBe(false)
    for (const ok of ['', 'QQ==', 'QUI=', 'QUJD', 'ab+/']) expect(isStrictBase64(ok)).toBe(true)
    for (const bad of ['Q', 'QQ=', 'Q===', 'QQ=A', 'Q Q=', 'QQ-_', '====', 'QUJD\n']) expect(isStrictBase64(bad)).toBe(false)
  })

  it('counts and skips an oversized or invalid notification payload, and reads the rest of the envelope', () => {
    const seen: MalformedItem[] = []
    const oversized = Buffer.alloc(MAX_PAYLOAD_BYTES + 3).toString('base64')
    const e = parseEnvelope(
      {
        notifications: [
          { ep: 'a', path: '/1', payload: Buffer.alloc(7_500_000).toString('base64') },
          { ep: 'b', path: '/1', payload: oversized },
          { ep: 'c', path: '/1', payload: 'not base64!' },
          { ep: 'd', path: '/1', payload: Buffer.alloc(MAX_PAYLOAD_BYTES).toString('base64') },
          { ep: 'e', path: '/1', payload: 'MQ==' },
        ],
        'async-responses': [{ id: 'x', status: 200, payload: oversized }],
      },
      (item) => seen.push(item),
    )
    expect(e.notifications.map((n) => n.ep)).toEqual(['d', 'e'])
    expect(e.malformed).toBe(4)
    expect(seen.map((s) => s.issue)).toEqual([
      expect.stringContaining('larger than'),
      expect.stringContaining('larger than'),
      expect.stringContaining('not base64'),
      expect.stringContaining('larger than'),
    ])
  })
})
