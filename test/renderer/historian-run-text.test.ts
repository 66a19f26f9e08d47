/**
 * The historian card's event counts, in each language's grammar and digits (cold trial: « 0 reçus, 0 sans règle
 * correspondante, 0 non mis en file » on every card before the first event, and « 1 reçus »), and the rows CouchDB did
 * not store.
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

describe('CouchDB rows not stored', () => {
  afterAll(() => locale.set('en'))

  it('agrees in number (cold trial: « 1 événements … ils sont renvoyés »)', () => {
    const say = (failed: number, total: number) => get(format)('historian.couchRowsFailed', { values: { failed, total, reason: 'conflict' } })
    locale.set('fr')
    expect(say(1, 500)).toBe('CouchDB n’a pas stocké 1 événement sur 500 (conflict)\u202f; il est renvoyé.')
    expect(say(2, 1000)).toBe('CouchDB n’a pas stocké 2 événements sur 1\u202f000 (conflict)\u202f; ils sont renvoyés.')
    locale.set('en')
    expect(say(1, 1)).toBe('CouchDB did not store 1 of 1 event (conflict); it is sent again.')
    expect(say(2, 500)).toBe('CouchDB did not store 2 of 500 events (conflict); they are sent again.')
  })
})
