/**
 * The first sync's progress on Settings → Team sync, in each language's grammar (cold trial: « 1 documents sur 1 en
 * 1 lots », "1 of 1 documents in 1 batches"), its counts written the language's way (« 12 345 »).
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import { firstSyncText } from '../../src-renderer/src/features/settings/first-sync-text'
import '../../src-renderer/src/i18n'
import type { Translate } from '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)
const say = (docs: number, total: number, batches: number) => get(format)('sync.card.firstSyncValue', { values: { docs, total, batches } })

describe('first sync progress', () => {
  afterAll(() => locale.set('en'))

  it('agrees in number in French, 0 and 1 singular', () => {
    locale.set('fr')
    expect(say(1, 1, 1)).toBe('1 document sur 1 en 1 lot')
    expect(say(0, 5, 0)).toBe('0 document sur 5 en 0 lot')
    expect(say(12345, 20000, 3)).toBe('12\u202f345 documents sur 20\u202f000 en 3 lots')
  })

  it('agrees in number in English', () => {
    locale.set('en')
    expect(say(1, 1, 1)).toBe('1 of 1 document in 1 batch')
    expect(say(12345, 20000, 3)).toBe('12,345 of 20,000 documents in 3 batches')
  })

  it.each([
    ['en', 'Reaching the server…', '3 documents so far in 1 batch; the server has not said how many it holds yet', '1 of 4 documents in 1 batch, about 9 s left'],
    ['fr', 'Connexion au serveur…', '3 documents reçus en 1 lot\u202f; le serveur n’a pas encore dit combien il en garde', '1 document sur 4 en 1 lot, environ 9 s restantes'],
  ])('says it is reaching the server until the server has said its total, not « 0 documents sur 0 » (%s)', (language, reaching, soFar, known) => {
    locale.set(language)
    // No answer yet, or the credentials refused: the core has no total.
    expect(firstSyncText(t, { batches: 0, docs: 0, total: null, secondsLeft: null })).toBe(reaching)
    expect(firstSyncText(t, { batches: 1, docs: 3, total: null, secondsLeft: null })).toBe(soFar)
    expect(firstSyncText(t, { batches: 1, docs: 1, total: 4, secondsLeft: 9 })).toBe(known)
    // A server that answered it holds nothing really is 0.
    expect(firstSyncText(t, { batches: 0, docs: 0, total: 0, secondsLeft: null })).toBe(say(0, 0, 0))
  })
})
