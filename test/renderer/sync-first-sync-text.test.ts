/**
 * The first sync's progress on Settings → Team sync, in each language's grammar (cold trial: « 1 documents sur 1 en
 * 1 lots », "1 of 1 documents in 1 batches"), its counts written the language's way (« 12 345 »).
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import '../../src-renderer/src/i18n'

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
})
