/**
 * Uploading kept packages to the platform (core/dm-packages/package-publishing.service.ts) through the contract's
 * channels, against test/peers/platform-rest: absent → POST, same → nothing, differs → refused until the operator
 * confirms, then PUT; the platform's list marked against the library; removal; profile problems refused before
 * anything is sent; every change audited with the profile it went through.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelName, Input, Output } from '../../src-shared/contract'
import { derivedRestUrl } from '../../src-shared/models/platform-rest'
import { tempDir, testCore } from '../helpers/core'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

type TestCore = Awaited<ReturnType<typeof testCore>>

const packageText = (bundleId: string, version: string) =>
  JSON.stringify(
    { bundleId, version, displayName: { en_US: `Package ${bundleId}` }, actions: { flush: { actionDisplayName: { en_US: 'Flush' }, parameters: [{ name: 'valve', value: '\\w+' }] } } },
    null,
    2,
  )

let peer: PlatformRestPeer
let core: TestCore
let cleanup: () => Promise<void>
/** The default platform profile, its REST address the peer's. */
let plant: { id: string; name: string }

async function failure<C extends ChannelName>(channel: C, input: Input<C>) {
  const r = await core.dispatcher.invoke(channel, input)
  if (r.ok) throw new Error(`${channel} succeeded`)
  return r.error
}

beforeAll(async () => {
  peer = await startPlatformRestPeer({
    // Held on the platform before Fieldline looks: one the library does not keep, written without `required`.
    bundles: [{ bundleId: 'foreign', version: '9', displayName: { en_US: 'Foreign' }, actions: { go: { actionDisplayName: { en_US: 'Go' } } } }],
  })
  const t = await tempDir()
  cleanup = t.cleanup
  core = await testCore(t.dir)
  plant = await core
    .call('profiles:save', {
      extension: 'platform',
      name: 'Plant',
      settings: { url: 'mqtts://org1.messaging.internetofthings.ibmcloud.com:8883', clientId: 'a:org1:fieldline', username: PEER_API_KEY, restUrl: peer.url },
      secrets: { password: PEER_TOKEN },
    })
    .then((p) => ({ id: p.id, name: p.name }))
  await core.call('packages:add', { text: packageText('valves', '1.0') })
})

afterAll(async () => {
  await core?.close()
  await cleanup?.()
  await peer?.close()
})

beforeEach(() => peer.faults.clear())

describe('uploading a kept package', () => {
  it('creates it when absent, does nothing when the same, and replaces it only when confirmed', async () => {
    expect(await core.call('packages:platformStatus', { bundleId: 'valves' })).toEqual({ profile: plant, state: 'absent' })
    expect(await core.call('packages:upload', { bundleId: 'valves' })).toEqual({ profile: plant, outcome: 'created' })
    expect(peer.bundles().valves).toMatchObject({ bundleId: 'valves', version: '1.0' })
    expect((await core.call('packages:platformStatus', { bundleId: 'valves', platformProfile: plant.id })).state).toBe('same')
    const before = peer.requests().length
    expect((await core.call('packages:upload', { bundleId: 'valves' })).outcome).toBe('unchanged')
    expect(
      peer
        .requests()
        .slice(before)
        .map((r) => r.method),
    ).toEqual(['GET'])

    await core.call('packages:save', { bundleId: 'valves', text: packageText('valves', '2.0') })
    expect((await core.call('packages:platformStatus', { bundleId: 'valves' })).state).toBe('differs')
    const refused = await failure('packages:upload', { bundleId: 'valves' })
    expect(refused.code).toBe('CONFLICT')
    expect(refused.details?.ref).toEqual({ key: 'dmPlatform.differs', params: { bundleId: 'valves', profile: 'Plant' } })
    expect(peer.bundles().valves).toMatchObject({ version: '1.0' })
    expect((await core.call('packages:upload', { bundleId: 'valves', replace: true })).outcome).toBe('replaced')
    expect(peer.bundles().valves).toMatchObject({ version: '2.0' })

    const trail = (await core.call('audit:list', { query: 'valves' })).items.filter((e) => e.action.startsWith('package.') && e.action.includes('publish'))
    expect(trail.map((e) => [e.action, e.outcome, e.via])).toEqual([
      ['package.republish', 'ok', 'Plant'],
      ['package.publish', 'ok', 'Plant'],
    ])
  })

  it('lists what the platform holds, marked against the library, and removes one (the library keeps it)', async () => {
    const list = await core.call('packages:platformList', {})
    expect(list.items.map((i) => [i.bundleId, i.version, i.state])).toEqual([
      ['foreign', '9', 'notKept'],
      ['valves', '2.0', 'same'],
    ])
    expect(await core.call('packages:unpublish', { bundleId: 'valves' })).toEqual({ profile: plant, removed: true })
    expect(peer.bundles()).not.toHaveProperty('valves')
    expect((await core.call('packages:get', { bundleId: 'valves' })).version).toBe('2.0')
    const again = await failure('packages:unpublish', { bundleId: 'valves' })
    expect(again.code).toBe('NOT_FOUND')
    expect(again.details?.ref?.key).toBe('dmPlatform.notOnPlatform')
    const trail = (await core.call('audit:list', { query: 'package.unpublish' })).items
    expect(trail.map((e) => e.outcome)).toEqual(['failed', 'ok'])
  })

  it('audits an upload the platform refuses, in words the window translates', async () => {
    peer.faults.set({ kind: 'status', status: 500, method: 'POST', times: 1 })
    const e = await failure('packages:upload', { bundleId: 'valves' })
    expect(e.code).toBe('CARRIER')
    expect(e.details?.ref).toMatchObject({ key: 'dmPlatform.unavailable', params: { status: 500 } })
    const [last] = (await core.call('audit:list', { query: 'package.publish' })).items
    expect(last).toMatchObject({ action: 'package.publish', outcome: 'failed', via: 'Plant', error: { code: 'CARRIER' } })
    expect(peer.bundles()).not.toHaveProperty('valves')
  })

  it('refuses a profile without the API key or token before anything is sent, and an unknown package', async () => {
    const bare = await core.call('profiles:save', {
      extension: 'platform',
      name: 'Bare',
      settings: { url: 'mqtts://org2.messaging.internetofthings.ibmcloud.com:8883', clientId: 'a:org2:x', restUrl: peer.url },
    })
    const before = peer.requests().length
    const e = await failure('packages:upload', { bundleId: 'valves', platformProfile: bare.id })
    expect(e.code).toBe('VALIDATION')
    expect(e.details?.ref).toEqual({ key: 'dmPlatform.noCredentials', params: { profile: 'Bare' } })
    expect((await failure('packages:platformStatus', { bundleId: 'nothing-here' })).details?.ref?.key).toBe('dm.notFound')
    expect((await failure('packages:platformList', { platformProfile: 'nobody' })).code).toBe('NOT_FOUND')
    expect(peer.requests().length).toBe(before)
  })
})

describe('comparing with what the platform holds', () => {
  it('reads a copy written in another key order, `required` left out, as the same package', async () => {
    await core.call('packages:add', {
      text: JSON.stringify({
        bundleId: 'pumps',
        version: '1',
        displayName: { en_US: 'Pumps' },
        actions: { prime: { actionDisplayName: { en_US: 'Prime' }, parameters: [{ name: 'rate', required: false }] } },
      }),
    })
    const other = await startPlatformRestPeer({
      bundles: [{ actions: { prime: { parameters: [{ name: 'rate' }], actionDisplayName: { en_US: 'Prime' } } }, displayName: { en_US: 'Pumps' }, version: '1', bundleId: 'pumps' }],
    })
    try {
      const profile = await core.call('profiles:save', {
        extension: 'platform',
        name: 'Other',
        settings: { url: 'mqtts://h:8883', clientId: 'a:org5:x', username: PEER_API_KEY, restUrl: other.url },
        secrets: { password: PEER_TOKEN },
      })
      expect((await core.call('packages:platformStatus', { bundleId: 'pumps', platformProfile: profile.id })).state).toBe('same')
      expect((await core.call('packages:upload', { bundleId: 'pumps', platformProfile: profile.id })).outcome).toBe('unchanged')
      expect(other.requests().map((r) => r.method)).toEqual(['GET', 'GET'])
    } finally {
      await other.close()
    }
  })
})

describe('the REST API address of a platform profile', () => {
  it("is derived from the client id's org, unless the profile names one", () => {
    expect(derivedRestUrl('a:org2:x')).toBe('https://org2.internetofthings.ibmcloud.com/api/v0002')
    expect(derivedRestUrl('A:org3:app:inst')).toBe('https://org3.internetofthings.ibmcloud.com/api/v0002')
    expect(derivedRestUrl('d:org:t:d')).toBeNull()
  })

  it('must carry credentials over https:// (plain http:// to this computer only), and is normalised', async () => {
    const save = (restUrl: string) => core.dispatcher.invoke('profiles:save', { extension: 'platform', name: 'Remote', settings: { url: 'mqtts://h:8883', clientId: 'a:org4:x', restUrl } })
    const plain = await save('http://iot.example.com/api/v0002')
    expect(plain.ok).toBe(false)
    // Named as the REST field's refusal: the broker URL is refused with the same key, and the form puts it where it says.
    if (!plain.ok) expect(plain.error.details?.ref).toMatchObject({ key: 'errors.insecureUrl', params: { field: 'settings.restUrl' } })
    const saved = await save('https://iot.example.com/api/v0002/')
    expect(saved.ok && (saved.value as Output<'profiles:save'>).settings).toMatchObject({ restUrl: 'https://iot.example.com/api/v0002' })
  })
})
