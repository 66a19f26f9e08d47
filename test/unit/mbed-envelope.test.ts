/**
 * The notification envelope parser (src-main/core/mbed/envelope.ts, docs/wire/mbed.md §1.6): every key, max-age as
 * number or string, malformed items counted and skipped without losing the rest.
 */
import { describe, expect, it } from 'vitest'
import { envelopeSize, parseEnvelope, type MalformedItem } from '../../src-main/core/mbed/envelope'

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
