/**
 * A profile card said a secret was saved because the profile's document says so, while the OS keychain no longer held
 * it (deleted outside Fieldline). The profiles read ask the vault, yes or no (vault:isSet, never a value), for each
 * secret the document names; one the keychain lacks reads as not set and is listed as missing, in the window's
 * language. An unanswered question (no keychain) leaves the document's word.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ControlCenterProfile } from '../../src-shared/models/profiles'
import '../../src-renderer/src/i18n'
import type { Translate } from '../../src-renderer/src/i18n'
import { missingSecretsText } from '../../src-renderer/src/features/extensions/missing-secrets'
import { ok, refused, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const { ProfilesState } = await import('../../src-renderer/src/lib/state/profiles.svelte')

const t: Translate = (key, options) => get(format)(key, options)

function profile(id: string, secrets: ControlCenterProfile['secrets']): ControlCenterProfile {
  const at = '2026-12-05T01:00:00.000Z'
  return { id, name: id, extension: 'jasper', isDefault: false, createdAt: at, updatedAt: at, settings: { baseUrl: 'https://cc.example', username: 'ops', concurrency: 1, perSecond: 5 }, secrets }
}

function store() {
  return new ProfilesState<ControlCenterProfile>({
    extensions: ['jasper'],
    is: (p): p is ControlCenterProfile => p.extension === 'jasper',
    verify: () => Promise.resolve(ok({ ok: true as const, detail: '' })),
  })
}

beforeEach(() => {
  fake.reset()
  locale.set('en')
})
afterEach(() => locale.set('en'))

describe('profile secrets as the keychain holds them', () => {
  it('asks the vault about each secret the document names, and says the one the keychain lacks is missing', async () => {
    const profiles = store()
    const loading = profiles.load()
    fake.answer('profiles:list', ok({ items: [profile('ops', { apiKey: true, password: true, licenseKey: true }), profile('lab', { apiKey: true, password: false, licenseKey: false })] }))
    await settle()
    // Only yes/no questions, named by the profile's document id; nothing about a secret the document does not name.
    expect(fake.pending('vault:isSet').map((c) => c.input)).toEqual([
      { profileId: 'profile:jasper:lab', field: 'apiKey' },
      { profileId: 'profile:jasper:ops', field: 'apiKey' },
      { profileId: 'profile:jasper:ops', field: 'password' },
      { profileId: 'profile:jasper:ops', field: 'licenseKey' },
    ])
    fake.answer('vault:isSet', ok({ set: true }))
    fake.answer('vault:isSet', ok({ set: false }))
    fake.answer('vault:isSet', ok({ set: true }))
    fake.answer('vault:isSet', ok({ set: false }))
    await loading
    const [lab, ops] = profiles.items
    expect(lab?.secrets).toEqual({ apiKey: true, password: false, licenseKey: false })
    expect(profiles.missingSecrets(lab!)).toEqual([])
    expect(ops?.secrets).toEqual({ apiKey: false, password: true, licenseKey: false })
    expect(profiles.missingSecrets(ops!)).toEqual(['apiKey', 'licenseKey'])
  })

  it('keeps the document’s word when the vault cannot answer', async () => {
    const profiles = store()
    const loading = profiles.load()
    fake.answer('profiles:list', ok({ items: [profile('ops', { apiKey: true, password: false, licenseKey: false })] }))
    await settle()
    fake.answer('vault:isSet', refused('NETWORK'))
    await loading
    expect(profiles.items[0]?.secrets.apiKey).toBe(true)
    expect(profiles.missingSecrets(profiles.items[0]!)).toEqual([])
  })

  it('names the missing secrets and asks for them again, in English and French', () => {
    expect(missingSecretsText(t, 'en', ['apiKey'])).toBe('Not in the system keychain any more (removed outside Fieldline): API key. Edit the profile and enter it again.')
    expect(missingSecretsText(t, 'en', ['apiKey', 'licenseKey'])).toBe(
      'Not in the system keychain any more (removed outside Fieldline): API key and license key. Edit the profile and enter them again.',
    )
    locale.set('fr')
    expect(missingSecretsText(t, 'fr', ['apiKey', 'licenseKey'])).toBe(
      'Absent du trousseau du système (supprimé hors de Fieldline)\u00a0: clé d’API et clé de licence. Modifiez le profil et saisissez à nouveau ces secrets.',
    )
  })
})
