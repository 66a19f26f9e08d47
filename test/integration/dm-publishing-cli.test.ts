/**
 * `fieldline dm upload | platform | unpublish` as processes against test/peers/platform-rest. The CLI reads the
 * platform profile's token from the OS keychain, so the suite needs a D-Bus session with a keyring (the dbus recipe
 * in BRIEF/CONTRIBUTING; CI runs in one). The same commands with FIELDLINE_* variables go to a second peer, so a
 * call that took the saved profile instead would show on the wrong one.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createKeytarStore } from '../../src-main/core/vault/keytar.store'
import { runCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'
import { selfSignedCert } from '../helpers/mosquitto'
import { keyringSkipReason, missingService } from '../helpers/system'
import { PEER_API_KEY, PEER_TOKEN, startPlatformRestPeer, type PlatformRestPeer } from '../peers/platform-rest/platform-rest.peer'

const skip = keyringSkipReason()
const ENV_KEY = 'a-org2-envkey0002'
const ENV_TOKEN = 'env-token-0987654321'
/** Every variable a script might have set, emptied unless a test sets it (runCli passes this process's on). */
const NO_PLATFORM_VARIABLES = {
  FIELDLINE_MQTT_URL: '',
  FIELDLINE_MQTT_CLIENT_ID: '',
  FIELDLINE_MQTT_USERNAME: '',
  FIELDLINE_MQTT_PASSWORD: '',
  FIELDLINE_MQTT_CA_FILE: '',
  FIELDLINE_PLATFORM_REST_URL: '',
}
const noOpenssl = missingService('openssl', spawnSync('openssl', ['version']).status === 0 ? null : 'the openssl command is not installed')
const packageText = (version: string) => JSON.stringify({ bundleId: 'pump-actions', version, displayName: { en_US: 'Pump actions' }, actions: { flush: { actionDisplayName: { en_US: 'Flush' } } } })

describe.skipIf(skip)('fieldline dm upload, platform, unpublish', () => {
  let peer: PlatformRestPeer
  let dataDir: string
  let cleanup: () => Promise<void>
  let profileId: string
  let envPeer: PlatformRestPeer

  beforeAll(async () => {
    peer = await startPlatformRestPeer({ bundles: [{ bundleId: 'foreign', displayName: { en_US: 'Foreign' }, actions: { go: { actionDisplayName: { en_US: 'Go' } } } }] })
    envPeer = await startPlatformRestPeer({ keys: { [ENV_KEY]: ENV_TOKEN } })
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
    await envPeer.close()
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

  it('takes the platform from variables for scripts, --profile still winning, and never prints the token', async () => {
    const host = new URL(envPeer.url).host
    const profileRequests = peer.requests().length
    const vars = { ...NO_PLATFORM_VARIABLES, FIELDLINE_PLATFORM_REST_URL: envPeer.url, FIELDLINE_MQTT_USERNAME: ENV_KEY, FIELDLINE_MQTT_PASSWORD: ENV_TOKEN }
    const runs = [
      await runCli(dataDir, ['dm', 'upload', 'pump-actions'], vars),
      await runCli(dataDir, ['dm', 'platform'], vars),
      await runCli(dataDir, ['dm', 'unpublish', 'pump-actions', '--yes'], vars),
    ]
    expect(runs).toMatchObject([
      { code: 0, out: `pump-actions created on ${host}\n` },
      { code: 0, out: expect.stringMatching(/^pump-actions\t\d\.0\tsame\n$/) },
      { code: 0, out: `removed pump-actions from ${host}\n` },
    ])
    expect(envPeer.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['GET 404', 'POST 201', 'GET 200', 'DELETE 204'])
    expect(peer.requests()).toHaveLength(profileRequests)
    // Cold trial: a platform holding no package listed nothing at all; it says so on stderr, stdout stays empty for scripts.
    expect(await runCli(dataDir, ['dm', 'platform'], vars)).toMatchObject({ code: 0, out: '', err: 'fieldline: the platform holds no package (dm upload BUNDLE-ID publishes one)\n' })

    // FIELDLINE_MQTT_URL switches to variables as it does for `dm invoke`; --profile takes the saved profile even then.
    const withProfile = await runCli(dataDir, ['dm', 'upload', 'pump-actions', '--profile', profileId], { ...vars, FIELDLINE_MQTT_URL: 'mqtts://org2.messaging.internetofthings.ibmcloud.com:8883' })
    expect(withProfile).toMatchObject({ code: 0, out: 'pump-actions created on Plant\n' })
    expect(peer.bundles()).toHaveProperty('pump-actions')
    expect(envPeer.bundles()).not.toHaveProperty('pump-actions')

    const seen = envPeer.requests().length
    const refused = [
      await runCli(dataDir, ['dm', 'upload', 'pump-actions'], { ...vars, FIELDLINE_MQTT_PASSWORD: '' }),
      await runCli(dataDir, ['dm', 'platform'], {
        ...NO_PLATFORM_VARIABLES,
        FIELDLINE_MQTT_URL: 'mqtts://x.example:8883',
        FIELDLINE_MQTT_CLIENT_ID: 'not-a-client-id',
        FIELDLINE_MQTT_USERNAME: ENV_KEY,
        FIELDLINE_MQTT_PASSWORD: ENV_TOKEN,
      }),
      await runCli(dataDir, ['dm', 'platform'], { ...vars, FIELDLINE_PLATFORM_REST_URL: 'http://platform.example/api/v0002' }),
      await runCli(dataDir, ['dm', 'unpublish', 'Bad Id!', '--yes'], vars),
    ]
    expect(refused).toMatchObject([
      { code: 2, out: '', err: "fieldline: Set FIELDLINE_MQTT_USERNAME (the API key) and FIELDLINE_MQTT_PASSWORD (the auth token) to reach the platform's REST API\n" },
      { code: 2, out: '', err: 'fieldline: Set FIELDLINE_PLATFORM_REST_URL, or FIELDLINE_MQTT_CLIENT_ID (a:<org>:<appId>) to derive the REST API URL from its org\n' },
      { code: 2, out: '', err: expect.stringContaining('may only be sent over https://') },
      { code: 2, out: '', err: "fieldline: <bundleId> must be 1–255 letters, digits, '-', '_' or '.'\n" },
    ])
    expect(envPeer.requests()).toHaveLength(seen)

    const wrongToken = await runCli(dataDir, ['dm', 'platform'], { ...vars, FIELDLINE_MQTT_PASSWORD: 'not-the-token-5555' })
    expect(wrongToken).toMatchObject({ code: 1, err: expect.stringContaining('refused the API key or its token') })
    // A script set variables, not a profile: the advice names them too.
    expect(wrongToken.err).toContain('FIELDLINE_MQTT_PASSWORD')
    for (const run of [...runs, ...refused, wrongToken]) expect(`${run.out}${run.err}`).not.toMatch(/env-token|not-the-token/)
  }, 180_000)

  it.skipIf(noOpenssl)(
    'trusts a private CA from FIELDLINE_MQTT_CA_FILE, and says clearly why not without it or with a wrong file',
    async () => {
      const cert = (await selfSignedCert())!
      const tlsPeer = await startPlatformRestPeer({ keys: { [ENV_KEY]: ENV_TOKEN }, tls: cert })
      const t = await tempDir()
      try {
        const ca = join(t.dir, 'platform-ca.pem')
        const notPem = join(t.dir, 'token.txt')
        const folder = join(t.dir, 'certs')
        await writeFile(ca, cert.cert)
        await writeFile(notPem, 'not a certificate\n')
        await mkdir(folder)
        const host = new URL(tlsPeer.url).host
        const vars = { ...NO_PLATFORM_VARIABLES, FIELDLINE_PLATFORM_REST_URL: tlsPeer.url, FIELDLINE_MQTT_USERNAME: ENV_KEY, FIELDLINE_MQTT_PASSWORD: ENV_TOKEN }

        // Without the CA the platform's certificate is not trusted: nothing is sent past the handshake.
        const untrusted = await runCli(dataDir, ['dm', 'upload', 'pump-actions'], vars)
        expect(untrusted).toMatchObject({ code: 1, out: '', err: expect.stringContaining(`The secure connection to ${host} could not be verified`) })
        const wrongFiles = [
          await runCli(dataDir, ['dm', 'upload', 'pump-actions'], { ...vars, FIELDLINE_MQTT_CA_FILE: join(t.dir, 'missing.pem') }),
          await runCli(dataDir, ['dm', 'platform'], { ...vars, FIELDLINE_MQTT_CA_FILE: notPem }),
          await runCli(dataDir, ['dm', 'unpublish', 'pump-actions', '--yes'], { ...vars, FIELDLINE_MQTT_CA_FILE: folder }),
        ]
        expect(wrongFiles).toMatchObject([
          { code: 2, out: '', err: `fieldline: FIELDLINE_MQTT_CA_FILE: cannot read ${join(t.dir, 'missing.pem')}: no such file\n` },
          { code: 2, out: '', err: `fieldline: FIELDLINE_MQTT_CA_FILE: ${notPem}: The custom CA must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)\n` },
          { code: 2, out: '', err: `fieldline: FIELDLINE_MQTT_CA_FILE: cannot read ${folder}: it is a folder\n` },
        ])
        expect(tlsPeer.requests()).toEqual([])

        const trusted = { ...vars, FIELDLINE_MQTT_CA_FILE: ca }
        expect(await runCli(dataDir, ['dm', 'upload', 'pump-actions'], trusted)).toMatchObject({ code: 0, out: `pump-actions created on ${host}\n` })
        expect(await runCli(dataDir, ['dm', 'platform'], trusted)).toMatchObject({ code: 0, out: expect.stringMatching(/^pump-actions\t\d\.0\tsame\n$/) })
        expect(await runCli(dataDir, ['dm', 'unpublish', 'pump-actions', '--yes'], trusted)).toMatchObject({ code: 0, out: `removed pump-actions from ${host}\n` })
        expect(tlsPeer.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['GET 404', 'POST 201', 'GET 200', 'DELETE 204'])
      } finally {
        await tlsPeer.close()
        await t.cleanup()
      }
    },
    180_000,
  )
})
