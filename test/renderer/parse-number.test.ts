import { describe, expect, it } from 'vitest'
import { parseNumber } from '../../src-renderer/src/lib/format'
import { blankDraft, parseSigned, ruleInput } from '../../src-renderer/src/features/inbox/rule-draft'

describe('numbers as the operator types them', () => {
  it('reads English grouping and decimal point, and refuses a comma that cannot be grouping', () => {
    expect(parseNumber('1,000', 'en')).toBe(1000)
    expect(parseNumber('1,500.25', 'en')).toBe(1500.25)
    expect(parseNumber('12345', 'en')).toBe(12345)
    expect(parseNumber('.5', 'en')).toBe(0.5)
    expect(parseNumber('1,5', 'en')).toBeNaN()
    expect(parseNumber('1,00', 'en')).toBeNaN()
  })

  it('reads French spaces of any kind as grouping, and a comma or a point as the decimal sign', () => {
    expect(parseNumber('1,5', 'fr')).toBe(1.5)
    expect(parseNumber('1.5', 'fr')).toBe(1.5)
    expect(parseNumber('1 000', 'fr')).toBe(1000)
    expect(parseNumber('1\u202f000,5', 'fr')).toBe(1000.5)
    expect(parseNumber('1\u00a0000', 'fr')).toBe(1000)
    expect(parseNumber('1,000', 'fr')).toBe(1)
  })

  it('refuses what is not a number', () => {
    for (const text of ['', ' ', 'abc', '1e3', '1..2', '1,2,3', '-1', '12 34', '0x10']) expect(parseNumber(text, 'en')).toBeNaN()
  })

  it('an alert rule typed "1,000" SMS in English watches a thousand, not one', () => {
    const draft = { ...blankDraft(), id: 'sms', name: 'SMS', kind: 'smsAbove' as const, count: '1,000' }
    expect(ruleInput(draft, 'en').condition).toEqual({ kind: 'smsAbove', count: 1000 })
    expect(ruleInput({ ...draft, kind: 'dataAbove', amount: '1,5', unit: 'GB' }, 'fr').condition).toEqual({ kind: 'dataAbove', bytes: 1.5e9 })
    expect(parseSigned('\u22122,5', 'fr')).toBe(-2.5)
  })
})
