import { describe, expect, it } from 'vitest'
import { reversesDayRange } from '../../src-renderer/src/lib/local-time'

describe('a day typed into one end of a range of days (Activity’s From and To)', () => {
  it('is refused when it puts the start after the end (From 12/10 with To 12/01 listed nothing, without a word)', () => {
    expect(reversesDayRange('2026-12-10', { notAfter: '2026-12-01' })).toBe(true)
    expect(reversesDayRange('2026-12-01', { notBefore: '2026-12-10' })).toBe(true)
  })

  it('is taken when the range stays in order, one day long, or has no other end yet', () => {
    expect(reversesDayRange('2026-12-01', { notAfter: '2026-12-10' })).toBe(false)
    expect(reversesDayRange('2026-12-10', { notBefore: '2026-12-01' })).toBe(false)
    expect(reversesDayRange('2026-12-06', { notBefore: '2026-12-06', notAfter: '2026-12-06' })).toBe(false)
    expect(reversesDayRange('2026-12-06', {})).toBe(false)
  })

  it('lets an end be cleared, and compares a bound the address holds with a time as its day', () => {
    expect(reversesDayRange('', { notBefore: '2026-12-10' })).toBe(false)
    expect(reversesDayRange('2026-12-10', { notAfter: '2026-12-10T23:00:00.000Z' })).toBe(false)
    expect(reversesDayRange('2026-12-11', { notAfter: '2026-12-10T23:00:00.000Z' })).toBe(true)
  })
})
