/**
 * The historian card's event counts, in each language's grammar and digits (cold trial: « 0 reçus, 0 sans règle
 * correspondante, 0 non mis en file » on every card before the first event, and « 1 reçus »).
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import '../../src-renderer/src/i18n'

const say = (received: number, unmatched: number, failures: number) => get(format)('historian.run.receivedDetail', { values: { received, unmatched, failures } })

describe('historian received counts', () => {
  afterAll(() => locale.set('en'))

  it('agrees in number in French, 0 and 1 singular, with French digit grouping', () => {
    locale.set('fr')
    expect(say(0, 0, 0)).toBe('0 reçu, 0 sans règle correspondante, 0 non mis en file')
    expect(say(1, 0, 0)).toBe('1 reçu, 0 sans règle correspondante, 0 non mis en file')
    expect(say(12345, 2, 1000)).toBe('12\u202f345 reçus, 2 sans règle correspondante, 1\u202f000 non mis en file')
  })

  it('groups digits in English', () => {
    locale.set('en')
    expect(say(12345, 2, 0)).toBe('12,345 received, 2 matched no rule, 0 could not be queued')
  })
})
