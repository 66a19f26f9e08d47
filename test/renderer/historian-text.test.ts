import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { asSentence, axisTimeStyle, forwarderHeadline, historyCountText, nextTryText, stateReason, timeZoneProblem } from '../../src-renderer/src/features/historian/historian-text'
import type { Translate } from '../../src-renderer/src/i18n'
import { destinationStatus, historianStatus } from '../helpers/historian-status'

const t: Translate = (key, options) => get(format)(key, options)
const time = (iso: string): string => `<${iso}>`

describe('the forwarder’s state line', () => {
  it.each(['en', 'fr'])('says a stopped forwarder’s last run ended without stopping, and when (%s)', (language) => {
    locale.set(language)
    const headline = forwarderHeadline(t, historianStatus({ state: 'stopped', endedAbruptlyAt: '2026-12-06T04:37:06.000Z' }), time)
    expect(headline.tone).toBe('warning')
    expect(headline.state).toBe(t('historian.states.stopped'))
    expect(headline.note).toContain('<2026-12-06T04:37:06.000Z>')
    expect(headline.note).toMatch(language === 'en' ? /ended without stopping/ : /sans arrêt/)
    // What waits is on this computer's disk as well as at the broker (cold trial: « ce qui attend au broker » above
    // the list of events waiting on disk).
    expect(headline.note).toMatch(language === 'en' ? /what waits on disk and at the broker\.$/ : /ce qui attend sur disque et chez le broker\.$/)
    // Stopped as it should be: nothing more to say.
    expect(forwarderHeadline(t, historianStatus({ state: 'stopped' }), time)).toEqual({ state: t('historian.states.stopped'), tone: 'neutral', note: null })
    expect(forwarderHeadline(t, null, time)).toEqual({ state: t('historian.states.stopped'), tone: 'neutral', note: null })
  })

  it('warns, not in the success green, while a running forwarder’s destination is stopped on an error or backing off', () => {
    locale.set('en')
    expect(forwarderHeadline(t, historianStatus({}), time)).toEqual({ state: 'Running', tone: 'ok', note: null })
    expect(forwarderHeadline(t, historianStatus({ destinations: [destinationStatus({ state: 'failed' })] }), time)).toEqual({
      state: 'Running',
      tone: 'warning',
      note: '1 of 1 destination stopped on an error',
    })
    const mixed = historianStatus({
      destinations: [destinationStatus({ state: 'failed' }), destinationStatus({ state: 'backingOff' }), destinationStatus({ state: 'backingOff' }), destinationStatus({})],
    })
    expect(forwarderHeadline(t, mixed, time).note).toBe('1 of 4 destinations stopped on an error, 2 of 4 destinations backing off')
    locale.set('fr')
    expect(forwarderHeadline(t, historianStatus({ destinations: [destinationStatus({ state: 'failed' })] }), time)).toEqual({
      state: 'En marche',
      tone: 'warning',
      note: '1 destination sur 1 arrêtée sur une erreur',
    })
    expect(forwarderHeadline(t, mixed, time).note).toBe('1 destination sur 4 arrêtée sur une erreur, 2 destinations sur 4 en attente d’un nouvel essai')
    // Paused is the operator's own choice: no warning.
    expect(forwarderHeadline(t, historianStatus({ destinations: [destinationStatus({ state: 'paused' })] }), time).tone).toBe('ok')
  })
})

describe('a destination’s row', () => {
  it('counts down to the next try in words, in each language', () => {
    const at = '2026-12-06T04:39:12.000Z'
    const now = Date.parse(at) - 13_000
    // Intl keeps the number and its unit together with a no-break space.
    const nextTry = (when: number, language: string): string => nextTryText(at, when, language).replace(/\s/g, ' ')
    expect(nextTry(now, 'fr')).toBe('dans 13 s')
    expect(nextTry(now, 'en')).toMatch(/^in 13 sec/)
    expect(nextTry(now + 12_000, 'fr')).toBe('dans 1 s')
    // Due already (the status is at most a second old): now, not "1 s ago".
    expect(nextTry(now + 20_000, 'fr')).toBe('maintenant')
    expect(nextTry(Date.parse(at) - 150_000, 'fr')).toBe('dans 3 min')
  })

  it('says a backing-off destination’s reason once: in State only when Last error does not say the same', () => {
    const refused = { code: 'NETWORK' as const, message: 'connect ECONNREFUSED 127.0.0.1:33745' }
    expect(stateReason(destinationStatus({ state: 'backingOff', reason: refused, lastError: refused, lastErrorAt: '2026-12-06T04:38:40.000Z' }))).toBeNull()
    const earlier = { code: 'AUTH_FAILED' as const, message: 'unauthorized' }
    expect(stateReason(destinationStatus({ state: 'failed', reason: refused, lastError: earlier }))).toEqual(refused)
    expect(stateReason(destinationStatus({ state: 'backingOff', reason: refused }))).toEqual(refused)
    expect(stateReason(destinationStatus({ state: 'connected', reason: refused }))).toBeNull()
  })
})

describe('the CouchDB destination form’s own checks', () => {
  it('refuses a time zone the runtime does not know, as the core would, and takes a known one', () => {
    expect(timeZoneProblem('Mars/Olympus')).toEqual({ key: 'historian.unknownTimeZone', params: { zone: 'Mars/Olympus' } })
    expect(timeZoneProblem('Europe/Paris')).toBeNull()
    expect(timeZoneProblem('UTC')).toBeNull()
  })
})

describe('the history’s words', () => {
  it('gives a chart of a few seconds its seconds, and a longer one minutes only', () => {
    const at = Date.parse('2026-12-06T04:37:06.000Z')
    expect(axisTimeStyle(at, at + 3_000)).toBe('medium')
    expect(axisTimeStyle(at, at + 2 * 3_600_000)).toBe('short')
    const ends = [at, at + 3_000].map((ms) => new Intl.DateTimeFormat('fr', { dateStyle: 'short', timeStyle: axisTimeStyle(at, at + 3_000), timeZone: 'UTC' }).format(ms))
    expect(ends).toEqual(['06/12/2026 04:37:06', '06/12/2026 04:37:09'])
  })

  it('ends the offline notice’s reason with one full stop, whether or not the reason has its own', () => {
    locale.set('fr')
    const reason = 'Impossible de joindre 127.0.0.1:5984\u00a0: vérifiez que le service est en marche.'
    expect(t('historian.history.offline', { values: { reason: asSentence(reason) } })).toBe(`La destination est injoignable\u00a0: ${reason}`)
    expect(asSentence('connect ECONNREFUSED')).toBe('connect ECONNREFUSED.')
  })
})

describe('French wording the cold trial found', () => {
  it('names no profile or zone after a bare “de”, says what the bucket count counts, and keeps the secret placeholder neutral', () => {
    locale.set('fr')
    expect(t('historian.card.bucketsEvery', { values: { interval: 'jour', zone: 'Europe/Paris' } })).toBe('une par jour, fuseau Europe/Paris')
    expect(t('historian.buckets.title', { values: { name: 'Historique labo' } })).toBe('Périodes — Historique labo')
    expect(t('historian.buckets.all', { values: { count: 2, interval: 'jour' } })).toBe('2 bases, une par jour')
    expect(t('form.secretKept')).toBe('(valeur enregistrée — laisser vide pour la conserver)')
    locale.set('en')
    expect(t('historian.buckets.all', { values: { count: 2, interval: 'day' } })).toBe('2 databases, one per day')
  })
})

describe('the outcome of a device history read', () => {
  it.each(['en', 'fr'])('says nothing of the range’s events when the destination was away and no copy was ever read (%s)', (language) => {
    locale.set(language)
    expect(historyCountText(t, { fromCache: true, asOf: null, count: 0 })).toBeNull()
    // From a copy, or from the destination, an empty range is said as such, and a count as a count.
    expect(historyCountText(t, { fromCache: true, asOf: '2026-12-06T04:37:06.000Z', count: 0 })).toBe(t('historian.history.empty'))
    expect(historyCountText(t, { fromCache: false, asOf: null, count: 0 })).toBe(t('historian.history.empty'))
    expect(historyCountText(t, { fromCache: false, asOf: null, count: 3 })).toBe(t('historian.history.count', { values: { count: 3 } }))
  })
})
