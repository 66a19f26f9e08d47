/**
 * Cold trial: Activity's "Du" field given 31/02/2026 said the date was not in day/month/year form, when the day is
 * what does not exist. The field tells the two apart (DateField: dates.badDate or dates.noSuchDate).
 */
import { describe, expect, it } from 'vitest'
import { localDateProblem } from '../../src-renderer/src/lib/local-time'
import en from '../../src-renderer/src/i18n/en.json'
import fr from '../../src-renderer/src/i18n/fr.json'

describe('why a typed day is refused', () => {
  it('says a well-formed day the calendar lacks does not exist, in either order', () => {
    expect(localDateProblem('31/02/2026', 'fr')).toBe('noSuchDay')
    expect(localDateProblem('02/31/2026', 'en')).toBe('noSuchDay')
    expect(localDateProblem('29/02/2027', 'fr')).toBe('noSuchDay')
    expect(localDateProblem('13/12/2026', 'en')).toBe('noSuchDay')
  })

  it('says the form is wrong for text, a two-digit year or a time', () => {
    for (const text of ['yesterday', '31/02/26', '31/12/2026 10:00', '']) expect(localDateProblem(text, 'fr'), text).toBe('form')
  })

  it('has no problem with a day that exists', () => {
    expect(localDateProblem('28/02/2026', 'fr')).toBeNull()
    expect(localDateProblem('2026-02-28', 'en')).toBeNull()
  })

  it('words it in both languages', () => {
    expect(en.dates.noSuchDate).toContain('{value}')
    expect(fr.dates.noSuchDate).toBe('«\u00a0{value}\u00a0» n’est pas un jour qui existe dans le calendrier.')
  })
})
