/**
 * Two profiles of one kind may not read alike (profileNameKey: trimmed, case-insensitive): profiles:save refuses a
 * name another profile of that kind has, naming it, at the form's name field, and writes nothing; the same name on
 * another kind is free, and a profile that already shares its name (made before the check) can still be saved under it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ErrorInfo } from '../../src-shared/contract'
import { profileDocId } from '../../src-main/core/store/profiles.store'
import { newProfileDoc } from '../../src-main/core/store/profiles.store'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>
const settings = { baseUrl: 'https://cc.example.com', username: 'ops' }

describe('profile names', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  async function open(): Promise<TestCore> {
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const core = await testCore(t.dir)
    cleanups.push(() => core.close())
    return core
  }

  async function refusal(core: TestCore, input: Parameters<TestCore['call']>[1] & object): Promise<ErrorInfo> {
    const before = (await core.call('profiles:list', {})).items
    const audit = (await core.call('audit:list', { offset: 0, limit: 50 })).total
    const r = await core.dispatcher.invoke('profiles:save', input as never)
    if (r.ok) throw new Error('profiles:save was expected to be refused')
    expect((await core.call('profiles:list', {})).items).toEqual(before)
    expect((await core.call('audit:list', { offset: 0, limit: 50 })).total).toBe(audit)
    return r.error
  }

  it('refuses a new profile named like another of its kind, whatever the case and spaces, naming the other', async () => {
    const core = await open()
    await core.call('profiles:save', { extension: 'jasper', name: 'Jasper Nord', settings, secrets: { apiKey: 'k1' } })
    const error = await refusal(core, { extension: 'jasper', name: '  jasper NORD ', settings, secrets: { apiKey: 'k2' } })
    expect(error.code).toBe('CONFLICT')
    expect(error.details?.ref).toEqual({ key: 'profiles.nameTaken', params: { field: 'name', other: 'Jasper Nord' } })
    expect(error.message).toMatch(/^Another jasper profile is already named "Jasper Nord" \(jasper\/jasper-nord-[0-9a-f]{4}\)/)
  })

  it('refuses renaming a profile to another one’s name, and allows its own name in another case', async () => {
    const core = await open()
    const nord = await core.call('profiles:save', { extension: 'jasper', name: 'Jasper Nord', settings, secrets: { apiKey: 'k1' } })
    const sud = await core.call('profiles:save', { extension: 'jasper', name: 'Jasper Sud', settings, secrets: { apiKey: 'k2' } })
    const error = await refusal(core, { extension: 'jasper', id: sud.id, name: 'JASPER NORD', settings, secrets: {} })
    expect(error.details?.ref?.key).toBe('profiles.nameTaken')
    expect((await core.call('profiles:save', { extension: 'jasper', id: nord.id, name: 'JASPER NORD', settings, secrets: {} })).name).toBe('JASPER NORD')
  })

  it('allows the same name on another kind of profile', async () => {
    const core = await open()
    await core.call('profiles:save', { extension: 'jasper', name: 'Field', settings, secrets: { apiKey: 'k1' } })
    expect((await core.call('profiles:save', { extension: 'atnt', name: 'field', settings, secrets: { apiKey: 'k2' } })).name).toBe('field')
  })

  it('still saves a profile that shared its name before the check, under that name, but not under a new taken one', async () => {
    const core = await open()
    const now = new Date().toISOString()
    for (const id of ['nord-a', 'nord-b']) {
      await core.workspace.db.put(newProfileDoc({ extension: 'jasper', id, name: 'Jasper Nord', settings, secretFields: [], isDefault: id === 'nord-a' }, now))
    }
    await core.call('profiles:save', { extension: 'jasper', name: 'Jasper Sud', settings, secrets: { apiKey: 'k' } })
    const kept = await core.call('profiles:save', { extension: 'jasper', id: 'nord-b', name: 'Jasper Nord', settings: { ...settings, username: 'ops2' }, secrets: { apiKey: 'k2' } })
    expect(kept.settings).toMatchObject({ username: 'ops2' })
    const error = await refusal(core, { extension: 'jasper', id: 'nord-b', name: 'jasper sud', settings, secrets: {} })
    expect(error.details?.ref?.params?.other).toBe('Jasper Sud')
    expect((await core.workspace.db.get(profileDocId('jasper', 'nord-b'))) as unknown).toMatchObject({ name: 'Jasper Nord' })
  })
})
