import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { OrangeTicket } from '../../src-shared/models/orange'
import { ORANGE_SIM_STATUSES } from '../../src-shared/models/sim'
import { orangeStatusText, requestText, ticketNumberProblem, ticketProgress } from '../../src-renderer/src/features/orange/orange-text'
import type { Translate } from '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)

describe('Orange’s words in the operator’s language', () => {
  it.each(['en', 'fr'])('says each of Orange’s six statuses in words (%s), and an unknown one as Orange wrote it', (language) => {
    locale.set(language)
    const words = ORANGE_SIM_STATUSES.map((s) => orangeStatusText(t, s))
    expect(words.filter((w, i) => w === ORANGE_SIM_STATUSES[i])).toEqual([])
    expect(new Set(words).size).toBe(6)
    expect(orangeStatusText(t, 'RETIRED_BY_ORANGE')).toBe('RETIRED_BY_ORANGE')
  })

  it('names a ticket’s request with its test zone, and its progress in three steps', () => {
    locale.set('en')
    const ticket = { operation: 'status', requestedStatus: 'ACTIVATED_FOR_TEST', testMode: 'EUROPE' } as OrangeTicket
    expect(requestText(t, ticket)).toBe('Activated for test (Europe)')
    expect(requestText(t, { ...ticket, operation: 'location', requestedStatus: null, testMode: null })).toBe('Location status')
    expect(['WAITING', 'WORK_IN_PROGRESS', 'TERMINATED', 'ERROR'].map((s) => ticketProgress(s as OrangeTicket['state']))).toEqual([1, 2, 3, 3])
  })

  it.each([
    ['en', 'Type the ticket’s number', '“abc” is not an Orange ticket number: type its digits only'],
    ['fr', 'Saisissez le numéro du ticket', '«\u00a0abc\u00a0» n’est pas un numéro de ticket Orange\u00a0: saisissez ses chiffres seuls'],
  ])('%s: a ticket number left empty is asked for, one that is not digits says what to type', (language, missing, invalid) => {
    locale.set(language)
    const say = (typed: string) => {
      const ref = ticketNumberProblem(typed)
      return t(ref.key, { values: ref.params ?? {} })
    }
    expect(say('  ')).toContain(missing)
    expect(say('  ')).not.toMatch(/[«“]\s*[»”]/)
    expect(say(' abc ')).toContain(invalid)
  })
})
