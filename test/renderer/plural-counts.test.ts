/**
 * Counts that may be 0 or 1 agree in number in French, where 0 is singular (« 0 tentative », « 1 notification
 * reçue »), and in English; cold trial: « 1 tentatives », « 0 reçues », « 1 envoyés ». Each family of keys is read
 * from the real catalogues.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterAll, describe, expect, it } from 'vitest'
import '../../src-renderer/src/i18n'

const say = (language: string, key: string, values: Record<string, number>): string => {
  locale.set(language)
  return get(format)(key, { values })
}

describe('counts in each language’s grammar', () => {
  afterAll(() => locale.set('en'))

  it('attempts: an invitation’s and an mbed subscription’s', () => {
    expect(say('fr', 'team.attempts', { count: 1 })).toBe('1 tentative')
    expect(say('fr', 'team.attempts', { count: 0 })).toBe('0 tentative')
    expect(say('fr', 'team.attempts', { count: 2 })).toBe('2 tentatives')
    expect(say('en', 'team.attempts', { count: 1 })).toBe('1 attempt')
    expect(say('en', 'team.attempts', { count: 0 })).toBe('0 attempts')
    expect(say('fr', 'mbed.subscriptions.attempts', { count: 1 })).toMatch(/^1 tentative jusqu’ici/)
    expect(say('en', 'mbed.subscriptions.attempts', { count: 1 })).toMatch(/^1 attempt so far/)
    expect(say('fr', 'mbed.subscriptions.attempts', { count: 3 })).toMatch(/^3 tentatives jusqu’ici/)
  })

  it('the outbox’s replay', () => {
    const counts = { done: 1, failed: 0, unknown: 0, pending: 1200 }
    expect(say('fr', 'outbox.replayed', counts)).toBe('File d’envoi\u00a0: 1 envoyé, 0 en échec, 0 au résultat inconnu, 1\u202f200 encore en attente.')
    expect(say('fr', 'outbox.replayed', { ...counts, done: 0 })).toMatch(/: 0 envoyé,/)
    expect(say('fr', 'outbox.replayed', { ...counts, done: 2 })).toMatch(/: 2 envoyés,/)
    expect(say('en', 'outbox.replayed', counts)).toBe('Outbox: 1 sent, 0 failed, 0 with an unknown outcome, 1,200 still waiting.')
  })

  it('mbed’s live notifications: received and shown', () => {
    expect(say('fr', 'mbed.stream.received', { count: 0 })).toBe('0 notification reçue.')
    expect(say('fr', 'mbed.stream.received', { count: 1 })).toBe('1 notification reçue.')
    expect(say('fr', 'mbed.stream.received', { count: 12345 })).toBe('12\u202f345 notifications reçues.')
    expect(say('en', 'mbed.stream.received', { count: 1 })).toBe('1 notification received.')
    expect(say('en', 'mbed.stream.received', { count: 0 })).toBe('0 notifications received.')
    expect(say('fr', 'mbed.stream.summary', { kept: 1, capacity: 500 })).toMatch(/^1 affichée \(/)
    expect(say('fr', 'mbed.stream.summary', { kept: 2, capacity: 500 })).toMatch(/^2 affichées \(/)
    expect(say('en', 'mbed.stream.summary', { kept: 1500, capacity: 2000 })).toMatch(/^Showing 1,500 /)
  })

  it('a package’s errors and mbed’s registered endpoints', () => {
    expect(say('fr', 'dm.invalidPackage', { count: 1 })).toMatch(/\(1 erreur\)/)
    expect(say('fr', 'dm.invalidPackage', { count: 2 })).toMatch(/\(2 erreurs\)/)
    expect(say('en', 'dm.invalidPackage', { count: 1 })).toMatch(/\(1 error\)/)
    expect(say('fr', 'mbed.card.verifiedEndpointsQuota', { count: 1, quota: 1000 })).toBe('1 endpoint enregistré sur 1\u202f000')
    expect(say('fr', 'mbed.card.verifiedEndpointsQuota', { count: 0, quota: 10 })).toBe('0 endpoint enregistré sur 10')
    expect(say('en', 'mbed.card.verifiedEndpointsQuota', { count: 3, quota: 1 })).toBe('3 of 1 endpoint registered')
    expect(say('en', 'mbed.card.verifiedEndpointsQuota', { count: 1, quota: 1000 })).toBe('1 of 1,000 endpoints registered')
  })
})
