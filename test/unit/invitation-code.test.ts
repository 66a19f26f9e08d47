/**
 * The invitation code (core/sync/invitation-code.ts): what a mail client or a copy does to it is undone, anything else
 * that is not a whole code is refused with one translated error that never quotes the code (it holds a password).
 */
import { describe, expect, it } from 'vitest'
import { encodeInvitationCode, parseInvitationCode } from '../../src-main/core/sync/invitation-code'
import type { AppError } from '../../src-main/core/common/errors'

const CODE = { url: 'https://couch.example.com', database: 'team', user: 'olga.op', password: 'Zx8-one-time-password_0123456789', auth: 'basic' as const }
const encoded = encodeInvitationCode(CODE)
const payload = (value: unknown) => `FLJ1.${Buffer.from(JSON.stringify(value)).toString('base64url')}`
const good = { u: CODE.url, d: CODE.database, n: CODE.user, p: CODE.password, a: 'basic' }

function refusal(text: string): AppError {
  try {
    parseInvitationCode(text)
  } catch (e) {
    return e as AppError
  }
  throw new Error('expected a refusal')
}

describe('invitation code', () => {
  it('reads back what was encoded, as one line of base64url after its prefix', () => {
    expect(encoded).toMatch(/^FLJ1\.[A-Za-z0-9_-]+$/)
    expect(parseInvitationCode(encoded)).toEqual(CODE)
  })

  it('reads a code wrapped, quoted, or copied with spaces and a full stop', () => {
    const half = Math.floor(encoded.length / 2)
    for (const text of [`  ${encoded}\n`, `${encoded.slice(0, half)}\n${encoded.slice(half)}`, `> ${encoded.slice(0, half)}\r\n> ${encoded.slice(half)}`, `${encoded}.`]) {
      expect(parseInvitationCode(text)).toEqual(CODE)
    }
  })

  it.each([
    ['empty', ''],
    ['a word', 'hello'],
    ['the prefix alone', 'FLJ1.'],
    ['a damaged body', `${encoded.slice(0, 20)}*${encoded.slice(21)}`],
    ['a cut code', encoded.slice(0, encoded.length - 9)],
    ['not JSON', `FLJ1.${Buffer.from('not json').toString('base64url')}`],
    ['a JSON array', payload([1, 2])],
    ['a field missing', payload({ ...good, p: undefined })],
    ['an extra field', payload({ ...good, x: 1 })],
    ['a short password', payload({ ...good, p: 'short' })],
    ['another sign-in kind', payload({ ...good, a: 'iam' })],
    ['a database name CouchDB refuses', payload({ ...good, d: 'Team!' })],
    ['a number for the URL', payload({ ...good, u: 5 })],
    ['too long', `FLJ1.${'A'.repeat(2100)}`],
  ])('refuses %s without quoting it', (_name, text) => {
    const e = refusal(text)
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref?.key).toBe('sync.join.malformed')
    expect(e.message).not.toContain(CODE.password)
    if (text.length > 8) expect(e.message).not.toContain(text.slice(5, 25))
  })

  it('tells a code of a newer format apart from a damaged one', () => {
    expect(refusal('FLJ2.eyJ2IjoyfQ').details?.ref?.key).toBe('sync.join.newer')
  })
})
