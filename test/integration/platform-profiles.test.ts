import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMosquitto } from '../helpers/mosquitto'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>
type Broker = Awaited<ReturnType<typeof startMosquitto>>

describe('platform (MQTT) profiles', () => {
  let core: TestCore
  let broker: Broker
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    broker = await startMosquitto({ auth: { username: 'app', password: 'broker-secret' } })
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
  })
  afterAll(async () => {
    await core.close()
    await broker.stop()
    await cleanup()
  })

  it('refuses a profile with a bad URL or client id and stores nothing', async () => {
    const base = { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:org1:fieldline', username: 'app' } } as const
    expect(await core.dispatcher.invoke('profiles:save', { ...base, settings: { ...base.settings, url: 'http://broker' } })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await core.dispatcher.invoke('profiles:save', { ...base, settings: { ...base.settings, clientId: 'd:org:type:dev' } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'platform.invalidClientId' } } },
    })
    expect((await core.call('profiles:list', { extension: 'platform' })).items).toEqual([])
  })

  it('saves a profile, says how its transport is secured, and verifies it against the broker', async () => {
    const saved = await core.call('profiles:save', {
      extension: 'platform',
      name: 'Plant broker',
      settings: { url: broker.url, clientId: 'a:org1:fieldline', username: 'app' },
      secrets: { password: 'broker-secret' },
    })
    expect(saved).toMatchObject({ extension: 'platform', security: 'loopback-plain', secrets: { password: true }, isDefault: true })
    expect(JSON.stringify(await core.call('profiles:list', {}))).not.toContain('broker-secret')
    expect(await core.call('profiles:verify', { extension: 'platform', id: saved.id })).toMatchObject({ ok: true })
    // Verification uses its own short-lived link; the shared one opens only when something needs the broker.
    expect(await core.call('platform:status', {})).toEqual({ items: [] })
    const link = await core.links.linkFor(await core.profiles.get('platform', saved.id))
    await link.connect()
    expect((await core.call('platform:status', {})).items).toEqual([{ profileId: saved.id, state: 'connected', reason: null, security: 'loopback-plain' }])

    const remote = await core.call('profiles:save', { extension: 'platform', name: 'Remote', settings: { url: 'mqtt://broker.example.net:1883', clientId: 'a:org1:x' } })
    expect(remote).toMatchObject({ security: 'plain-remote' })
  })

  it('reports refused credentials as AUTH_FAILED', async () => {
    const wrong = await core.call('profiles:save', {
      extension: 'platform',
      name: 'Wrong password',
      settings: { url: broker.url, clientId: 'a:org1:other', username: 'app' },
      secrets: { password: 'nope' },
    })
    expect(await core.dispatcher.invoke('profiles:verify', { extension: 'platform', id: wrong.id })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } })
  })
})
