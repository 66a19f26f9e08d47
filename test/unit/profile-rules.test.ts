/**
 * The shared profile rules (src-shared/models/profile-rules.ts): which secrets a save must leave set, which only go
 * together, and the form of an mbed access key — what the profile forms show and what the core's profiles service
 * refuses by (test/integration/profile-secrets.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { accessKeyProblem, profileNamesakes, secretProblems } from '../../src-shared/models/profile-rules'

const none = new Set<string>()

describe('secretProblems', () => {
  it('wants Control Center’s API key, and the SOAP password and licence key together', () => {
    expect(secretProblems('jasper', {}, none)).toEqual({ apiKey: { key: 'profiles.apiKeyRequired' } })
    expect(secretProblems('atnt', { apiKey: 'k', password: 'p' }, none)).toEqual({ soap: { key: 'profiles.soapPair' } })
    expect(secretProblems('jasper', { apiKey: 'k', password: 'p', licenseKey: 'l' }, none)).toEqual({})
    // Kept from the vault; clearing one of a saved pair breaks it.
    expect(secretProblems('jasper', {}, new Set(['apiKey', 'password', 'licenseKey']))).toEqual({})
    expect(secretProblems('jasper', { licenseKey: null }, new Set(['apiKey', 'password', 'licenseKey']))).toEqual({ soap: { key: 'profiles.soapPair' } })
    expect(secretProblems('jasper', { apiKey: null }, new Set(['apiKey']))).toEqual({ apiKey: { key: 'profiles.apiKeyRequired' } })
  })

  it('wants Orange’s password, new or kept', () => {
    expect(secretProblems('orange', {}, none)).toEqual({ password: { key: 'profiles.orangePasswordRequired' } })
    expect(secretProblems('orange', { password: null }, new Set(['password']))).toEqual({ password: { key: 'profiles.orangePasswordRequired' } })
    expect(secretProblems('orange', {}, new Set(['password']))).toEqual({})
    expect(secretProblems('orange', { password: 'pw' }, none)).toEqual({})
  })

  it('wants an mbed access key fit for an Authorization header; a kept one is not read again', () => {
    expect(secretProblems('mbed', {}, none)).toEqual({ accessKey: { key: 'profiles.accessKeyRequired' } })
    expect(secretProblems('mbed', { accessKey: 'ak with space' }, none)).toEqual({ accessKey: { key: 'mbed.invalidAccessKey' } })
    expect(secretProblems('mbed', { accessKey: 'ak_ok' }, none)).toEqual({})
    expect(secretProblems('mbed', {}, new Set(['accessKey']))).toEqual({})
  })

  it('asks nothing of a platform profile (a broker may take no password)', () => {
    expect(secretProblems('platform', {}, none)).toEqual({})
  })
})

describe('accessKeyProblem', () => {
  it.each(['', '   ', 'ak 1', 'ak\t1', 'ak\n1', 'ak\u00001', 'ak\u001f'])('refuses %j', (key) => {
    expect(accessKeyProblem(key)).toEqual({ key: 'mbed.invalidAccessKey' })
  })

  it('accepts a key of printable characters', () => {
    expect(accessKeyProblem('ak_0123456789abcdef')).toBeNull()
  })
})

describe('profileNamesakes', () => {
  it('groups the profiles of one kind whose names read alike, as team sync brings them from two computers', () => {
    const nord = { id: 'jasper-nord-f69f', extension: 'jasper', name: 'Jasper Nord' }
    const teammates = { id: 'jasper-nord-3a7c', extension: 'jasper', name: ' jasper nord ' }
    const orange = { id: 'jasper-nord-0001', extension: 'orange', name: 'Jasper Nord' }
    const sud = { id: 'jasper-sud-1', extension: 'jasper', name: 'Jasper Sud' }
    expect(profileNamesakes([nord, orange, sud, teammates])).toEqual([[nord, teammates]])
  })

  it('finds none when every name of a kind is its own', () => {
    expect(
      profileNamesakes([
        { id: 'a', extension: 'jasper', name: 'A' },
        { id: 'b', extension: 'atnt', name: 'A' },
      ]),
    ).toEqual([])
  })
})
