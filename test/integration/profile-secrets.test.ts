/**
 * The profiles service refuses a save by the shared profile rules (src-shared/models/profile-rules.ts), with the
 * keys and English texts it has always used, and a refused save writes nothing: no document, no audit entry, no secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppError } from '../../src-main/core/common/errors'
import { EventBus } from '../../src-main/core/common/events'
import { createProfilesService, type ProfileSaveInput, type ProfilesService } from '../../src-main/core/profiles/profiles.service'
import { openWorkspace } from '../../src-main/core/store/workspace'
import type { SecretStore } from '../../src-main/core/vault/secret-store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir } from '../helpers/core'

const ctx = { actor: 'test' }
const cc = { baseUrl: 'https://cc.example.com', username: 'ops', concurrency: 1, perSecond: 5 }
const mbed = { apiUrl: 'https://api.connector.mbed.com', flavour: 'connector', domainId: '', channel: 'longpoll', defaultDeviceType: 'mbed', queueSize: 1000, platformProfile: '' } as const

describe('profile secrets at save', () => {
  let ws: Awaited<ReturnType<typeof openWorkspace>>
  let dir: Awaited<ReturnType<typeof tempDir>>
  let vault: SecretStore
  let profiles: ProfilesService
  const written: string[] = []

  beforeAll(async () => {
    dir = await tempDir()
    ws = await openWorkspace(dir.dir)
    const memory = createMemoryStore()
    vault = { ...memory, set: (account, value) => (written.push(account), memory.set(account, value)) }
    profiles = createProfilesService({ db: ws.db, vault, bus: new EventBus() })
  })
  afterAll(async () => {
    await ws.close()
    await dir.cleanup()
  })

  async function refusal(input: ProfileSaveInput): Promise<AppError> {
    const before = (await ws.db.allDocs()).total_rows
    const secretsBefore = written.length
    try {
      await profiles.save(input, ctx)
    } catch (e) {
      expect((await ws.db.allDocs()).total_rows).toBe(before)
      expect(written.length).toBe(secretsBefore)
      return e as AppError
    }
    throw new Error('expected a refusal')
  }

  it.each([
    [{ extension: 'jasper', name: 'CC', settings: cc, secrets: {} }, 'profiles.apiKeyRequired', 'The API key is required (Control Center REST authenticates with user name and API key)'],
    [{ extension: 'atnt', name: 'CC', settings: cc, secrets: { apiKey: 'k', licenseKey: 'l' } }, 'profiles.soapPair', 'The SOAP API needs both the password and the license key, or neither'],
    [
      { extension: 'orange', name: 'O', settings: { baseUrl: 'https://o.example.com', username: 'ak', concurrency: 1, perSecond: 5 }, secrets: {} },
      'profiles.orangePasswordRequired',
      "The access key's password is required (Orange authenticates with the access key and its password)",
    ],
    [{ extension: 'mbed', name: 'M', settings: mbed, secrets: {} }, 'profiles.accessKeyRequired', 'The mbed access key is required'],
  ])('refuses %j with %s', async (input, key, message) => {
    const e = await refusal(input as ProfileSaveInput)
    expect(e.toInfo()).toEqual({ code: 'VALIDATION', message, details: { ref: { key } } })
  })

  it('refuses an mbed access key that cannot go into an Authorization header, before it reaches the vault', async () => {
    const e = await refusal({ extension: 'mbed', name: 'M', settings: mbed, secrets: { accessKey: 'ak with\nline' } } as ProfileSaveInput)
    expect(e.toInfo()).toEqual({ code: 'VALIDATION', message: 'The mbed access key is missing or contains spaces or control characters', details: { ref: { key: 'mbed.invalidAccessKey' } } })
    expect(await profiles.list('mbed')).toEqual([])
  })

  it('saves what the rules accept, and keeps a saved secret on a later save without it', async () => {
    const saved = await profiles.save({ extension: 'mbed', name: 'M', settings: mbed, secrets: { accessKey: 'ak_ok' } } as ProfileSaveInput, ctx)
    expect(saved.secrets).toEqual({ accessKey: true })
    await profiles.save({ id: saved.id, extension: 'mbed', name: 'M2', settings: mbed, secrets: {} } as ProfileSaveInput, ctx)
    const e = await refusal({ id: saved.id, extension: 'mbed', name: 'M3', settings: mbed, secrets: { accessKey: null } } as ProfileSaveInput)
    expect(e.details?.ref).toEqual({ key: 'profiles.accessKeyRequired' })
    expect(await vault.get(`profile:mbed:${saved.id}/accessKey`)).toBe('ak_ok')
  })
})
