import { describe, expect, it } from 'vitest'
import { badTimeWords, fromLocalInput, localDate, localInput, parseLocalDate, parseLocalInput, rangeWords, timeExample } from '../../src-renderer/src/lib/local-time'
import en from '../../src-renderer/src/i18n/en.json'
import fr from '../../src-renderer/src/i18n/fr.json'
import { formErrors } from '../../src-renderer/src/lib/form/issues'
import { historyInputSchema } from '../../src-shared/models/historian'

const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime()

describe('dates and times in the interface’s language, whatever the browser’s', () => {
  it('writes a time month first in English and day first in French, to the minute on a 24-hour clock', () => {
    expect(localInput(at(2026, 12, 6, 17, 5), 'en')).toBe('12/06/2026 17:05')
    expect(localInput(at(2026, 12, 6, 17, 5), 'fr')).toBe('06/12/2026 17:05')
  })

  it('reads what it writes, and what an operator types in the same order', () => {
    for (const language of ['en', 'fr']) expect(parseLocalInput(localInput(at(2026, 3, 9, 8, 30), language), language)).toBe(at(2026, 3, 9, 8, 30))
    expect(parseLocalInput('6/12/2026 9:05', 'fr')).toBe(at(2026, 12, 6, 9, 5))
    expect(parseLocalInput('06.12.2026 17h05', 'fr')).toBe(at(2026, 12, 6, 17, 5))
    expect(parseLocalInput(' 12-6-2026 ', 'en')).toBe(at(2026, 12, 6))
    // The same text is another day in the other language: the order is the language's, never guessed.
    expect(parseLocalInput('06/12/2026', 'en')).toBe(at(2026, 6, 12))
  })

  it('refuses a day a month lacks, a month 13, a two-digit year, a time past 23:59 and text', () => {
    for (const text of ['31/02/2026 10:00', '12/13/2026', '06/12/26 10:00', '06/12/2026 24:00', '06/12/2026 10:60', 'yesterday', '']) expect(parseLocalInput(text, 'fr'), text).toBeNull()
    expect(parseLocalInput('13/12/2026', 'en')).toBeNull()
  })

  it('reads seconds when given (a location’s measured at), and refuses a 61st second', () => {
    expect(parseLocalInput('06/12/2026 17:05:09', 'fr')).toBe(new Date(2026, 11, 6, 17, 5, 9).getTime())
    expect(parseLocalInput('12/06/2026 17:05:61', 'en')).toBeNull()
  })

  it('writes and reads a day alone (Activity’s range, the SIM list’s refreshed before) as the ISO date the filters keep', () => {
    expect(localDate('2026-12-06', 'en')).toBe('12/06/2026')
    expect(localDate('2026-12-06', 'fr')).toBe('06/12/2026')
    expect(localDate('', 'fr')).toBe('')
    expect(parseLocalDate('6/12/2026', 'fr')).toBe('2026-12-06')
    expect(parseLocalDate('6/12/2026', 'en')).toBe('2026-06-12')
    for (const language of ['en', 'fr']) expect(parseLocalDate(localDate('2024-02-29', language), language)).toBe('2024-02-29')
    // Pasted from the address or an export: the ISO order, year first, is read as such in either language.
    for (const language of ['en', 'fr']) {
      expect(parseLocalDate('2026-12-06', language)).toBe('2026-12-06')
      expect(parseLocalInput('2026-12-06 17:05', language)).toBe(at(2026, 12, 6, 17, 5))
      expect(parseLocalDate('2026-13-06', language)).toBeNull()
    }
    // A day a month lacks, a time where only a day is asked, and text are no day.
    for (const text of ['29/02/2026', '06/12/2026 10:00', '06/12/26', 'today', '']) expect(parseLocalDate(text, 'fr'), text).toBeNull()
  })

  it('gives the time fields’ example (the last minute of 2026) in the language’s order, one it reads back', () => {
    expect(timeExample('en')).toBe('12/31/2026 23:59')
    expect(timeExample('fr')).toBe('31/12/2026 23:59')
    for (const language of ['en', 'fr']) expect(parseLocalInput(timeExample(language), language)).toBe(at(2026, 12, 31, 23, 59))
  })

  it('sends the ISO time, or the text as typed for the form to refuse in words', () => {
    expect(fromLocalInput('06/12/2026 17:05', 'fr')).toBe(new Date(at(2026, 12, 6, 17, 5)).toISOString())
    expect(fromLocalInput('31/02/2026', 'fr')).toBe('31/02/2026')
  })
})

describe('the range’s problems in words', () => {
  const input = (from: string, to: string) => ({ typeId: 'meter', deviceId: 'm-1', limit: 200, from: fromLocalInput(from, 'fr'), to: fromLocalInput(to, 'fr') })
  const rules = {
    schema: historyInputSchema,
    words: rangeWords(
      () => '31/12/2026 23:59',
      () => 'fr',
    ),
  }

  it('says a well-formed date the calendar lacks does not exist, names other text with the example, and a range that ends before it starts as such', () => {
    // Cold trial: 31/02/2026 10:00 was said not to be in day/month/year hours:minutes form, which it is.
    expect(formErrors(rules, input('01/12/2026 10:00', '31/02/2026 10:00'))).toEqual({
      to: { key: 'dates.noSuchTime', params: { value: '31/02/2026 10:00', example: '31/12/2026 23:59' } },
    })
    expect(formErrors(rules, input('hier', '05/12/2026 10:00'))).toEqual({
      from: { key: 'dates.badTime', params: { value: 'hier', example: '31/12/2026 23:59' } },
    })
    expect(formErrors(rules, input('06/12/2026 10:00', '05/12/2026 10:00'))).toEqual({ to: { key: 'historian.rangeReversed', params: { field: 'to' } } })
    expect(formErrors(rules, input('', '05/12/2026 10:00'))).toEqual({ from: { key: 'form.required' } })
    expect(formErrors(rules, input('05/12/2026', '06/12/2026'))).toEqual({})
  })
})

describe('a typed date and time refused in words (the location’s "measured at", the history’s range)', () => {
  it('tells a day or time that does not exist from a text in the wrong form, in the language’s order', () => {
    expect(badTimeWords('31/02/2026 10:00', 'fr', 'ex').key).toBe('dates.noSuchTime')
    expect(badTimeWords('02/31/2026 10:00', 'en', 'ex').key).toBe('dates.noSuchTime')
    expect(badTimeWords('31/12/2026 25:00', 'fr', 'ex').key).toBe('dates.noSuchTime')
    expect(badTimeWords('31/12/26 10:00', 'fr', 'ex')).toEqual({ key: 'dates.badTime', params: { value: '31/12/26 10:00', example: 'ex' } })
  })

  it('words it in both languages', () => {
    expect(en.dates.noSuchTime).toContain('{value}')
    expect(en.dates.noSuchTime).toContain('{example}')
    expect(fr.dates.noSuchTime).toBe(
      '«\u00a0{value}\u00a0» n’est pas un jour et une heure qui existent dans le fuseau horaire de cet ordinateur (jour/mois/année heures:minutes, par exemple {example}).',
    )
  })
})
