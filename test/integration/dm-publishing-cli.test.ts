/**
 * `fieldline dm upload | platform | unpublish` as processes against test/peers/platform-rest. The CLI reads the
 * platform profile's token from the OS keychain, so the suite needs a D-Bus session with a keyring (the dbus recipe
 * in BRIEF/CONTRIBUTING; CI runs in one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { runCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'
import { keyringSkipReason } from '../helpers/system'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

const skip = keyringSkipReason()
const packageText = (version: string) => JSON.stringify({ bundleId: 'pump-actions', version, displayName: { en_US: 'Pump actions' }, actions: { flush: { actionDisplayName: { en_US: 'Flush' } } } })

describe.skipIf(skip)('fieldline dm upload, platform, unpublish', () => {
  let peer: PlatformRestPeer
  let dataDir: string
  let cleanup: () => Promise<void>
  let profileId: string

  beforeAll(async () => {
    peer = await startPlatformRestPeer({ bundles: [{ bundleId: 'foreign', displayName: { en_US: 'Foreign' }, actions: { go: { actionDisplayName: { en_US: 'Go' } } } }] })
    const t = await tempDir()
    cleanup = t.cleanup
    dataDir = join(t.dir, 'data')
    const core = await testCore(dataDir, { vault: createKeytarStore() })
    profileId = (
      await core.call('profiles:save', {
        extension: 'platform',
        name: 'Plant',
        settings: { url: 'mqtts://org1.messaging.internetofthings.ibmcloud.com:8883', clientId: 'a:org1:cli', username: PEER_API_KEY, restUrl: peer.url },
        secrets: { password: PEER_TOKEN },
      })
    ).id
    await core.call('packages:add', { text: packageText('1.0') })
    await core.close()
  })

  afterAll(async () => {
    // Takes the token out of the keychain again.
    const core = await testCore(dataDir, { vault: createKeytarStore() })
    await core.call('profiles:remove', { extension: 'platform', id: profileId })
    await core.close()
    await peer.close()
    await cleanup()
  })

  it('uploads, says when nothing changed, asks for --replace, lists, and removes with --yes only', async () => {
    expect(await runCli(dataDir, ['dm', 'upload', 'pump-actions'])).toMatchObject({ code: 0, out: 'pump-actions created on Plant\n' })
    expect(peer.bundles()['pump-actions']).toMatchObject({ version: '1.0' })
    expect(await runCli(dataDir, ['dm', 'upload', 'pump-actions', '--profile', profileId])).toMatchObject({ code: 0, out: 'pump-actions already on Plant\n' })

    const core = await testCore(dataDir, { vault: createKeytarStore() })
    await core.call('packages:save', { bundleId: 'pump-actions', text: packageText('2.0') })
    await core.close()
    expect(await runCli(dataDir, ['dm', 'platform'])).toMatchObject({ code: 0, out: 'foreign\t—\tnot-kept\npump-actions\t1.0\tdiffers\n' })
    expect(await runCli(dataDir, ['dm', 'upload', 'pump-actions'])).toMatchObject({ code: 2, err: 'fieldline: the platform holds another package pump-actions; add --replace to overwrite it\n' })
    expect(peer.bundles()['pump-actions']).toMatchObject({ version: '1.0' })
    expect(await runCli(dataDir, ['dm', 'upload', 'pump-actions', '--replace'])).toMatchObject({ code: 0, out: 'pump-actions replaced on Plant\n' })
    expect(peer.bundles()['pump-actions']).toMatchObject({ version: '2.0' })

    expect(await runCli(dataDir, ['dm', 'unpublish', 'pump-actions'])).toMatchObject({ code: 2, err: 'fieldline: removing pump-actions from the platform needs --yes\n' })
    expect(peer.bundles()).toHaveProperty('pump-actions')
    expect(await runCli(dataDir, ['dm', 'unpublish', 'pump-actions', '--yes'])).toMatchObject({ code: 0, out: 'removed pump-actions from Plant\n' })
    expect(peer.bundles()).not.toHaveProperty('pump-actions')
    const again = await runCli(dataDir, ['dm', 'unpublish', 'pump-actions', '--yes'])
    expect(again).toMatchObject({ code: 1, err: 'fieldline: The platform holds no package pump-actions\n' })
    const json = JSON.parse((await runCli(dataDir, ['--json', 'dm', 'platform'])).out) as { items: { bundleId: string; state: string }[] }
    expect(json.items).toEqual([expect.objectContaining({ bundleId: 'foreign', state: 'notKept' })])
  }, 180_000)
})
