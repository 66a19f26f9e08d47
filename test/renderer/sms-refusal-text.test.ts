/**
 * The SIM panel says why a text is too long in the words of its case: a chosen coding's limit, or without one the
 * carrier's 320 characters, where "for its coding" would be untrue.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { sentSmsLength, smsRefusal } from '../../src-shared/models/sms-length'
import '../../src-renderer/src/i18n'

const said = (text: string, coding: 0 | 8 | undefined): string => {
  const refusal = smsRefusal(sentSmsLength(text, coding))!
  return get(format)(refusal.key, { values: refusal.params })
}

describe('an SMS too long, said', () => {
  it.each([
    ['en', 'for its coding', 'The SMS is too long: 321 characters, at most 320 without a data coding.'],
    ['fr', 'pour son codage', 'Le SMS est trop long\u00a0: 321\u00a0caractères, 320 au maximum sans codage.'],
  ])('%s: without a coding, by the 320 characters; with one, for that coding', (language, forItsCoding, uncoded) => {
    locale.set(language)
    expect(said('a'.repeat(321), undefined)).toBe(uncoded)
    expect(said('a'.repeat(321), undefined)).not.toContain(forItsCoding)
    expect(said('a'.repeat(71), 8)).toContain(forItsCoding)
    expect(said('a'.repeat(71), 8)).toContain('71')
  })
})
