/**
 * `fieldline bridge mbed` as a process: the real command tree (src-main/cli/main.ts), run with `node --import tsx`,
 * configured by environment variables, against the mbed peer and a real mosquitto. Checks the exit codes (0 after
 * SIGTERM, 1 after a failure, 2 for a bad configuration), one stderr line per state change, the insecure-broker
 * warning, and that no secret reaches the output.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { configFromProfile } from '../../src-main/cli/commands/bridge'
import type { Runtime } from '../../src-main/cli/runtime'
import { EventBus } from '../../src-main/core/common/events'
import { createProfilesService } from '../../src-main/core/profiles/profiles.service'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir } from '../helpers/core'
import { killCommands, startCli, type CommandRun } from '../helpers/cli-process'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const skip = mosquittoSkipReason()
const POLL = { timeout: 20_000, interval: 50 }

afterEach(killCommands)

/** The configuration comes from the environment alone; the data directory is a fresh one (the bridge keeps only its queue there). */
let dataDir: string
let removeDataDir: () => Promise<void>

function run(env: Record<string, string>, args: string[] = []): CommandRun {
  return startCli(['--data-dir', join(dataDir, 'data'), 'bridge', 'mbed', ...args], env, (k) => !k.startsWith('FIELDLINE_'))
}

const stateLines = (text: string): string[] => text.split('\n').filter((l) => /mbed bridge (starting|running|degraded|stopping|stopped|failed)/.test(l))

describe.skipIf(skip)('fieldline bridge mbed', () => {
  let broker: Mosquitto
  let peer: MbedPeer

  beforeAll(async () => {
    ;({ dir: dataDir, cleanup: removeDataDir } = await tempDir())
    broker = await startMosquitto()
    peer = await startMbedPeer({ pollTimeoutMs: 500, accessKeys: ['ak_cli_secret_key'] })
  })

  afterAll(async () => {
    await peer?.close()
    await broker?.stop()
    await removeDataDir?.()
  })

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    FIELDLINE_MBED_URL: peer.url,
    FIELDLINE_MBED_ACCESS_KEY: 'ak_cli_secret_key',
    FIELDLINE_MQTT_URL: broker.url,
    FIELDLINE_MQTT_CLIENT_ID: `a:test:cli-${process.pid}`,
    FIELDLINE_MQTT_USERNAME: 'bridge',
    FIELDLINE_MQTT_PASSWORD: 'mqtt-secret-password',
    ...extra,
  })

  it('bridges until SIGTERM, one line per state change, exit 0, no secrets in the output', async () => {
    const sub = await connectAsync(broker.url, { clientId: `cli-sub-${process.pid}`, reconnectPeriod: 0 })
    const got: string[] = []
    sub.on('message', (topic) => got.push(topic))
    await sub.subscribeAsync('iot-2/type/+/id/+/evt/notify/fmt/json', { qos: 1 })
    try {
      const r = run(env())
      await expect.poll(() => stateLines(r.stderr()).some((l) => l.includes('mbed bridge running')), POLL).toBe(true)
      const ep = peer.endpoints()[0]
      if (!ep) throw new Error('no endpoint')
      // The strict peer delivers only what the bridge subscribed: by default every observable resource.
      await expect.poll(() => peer.subscribed('ak_cli_secret_key', ep.name, '/3/0/13'), POLL).toBe(true)
      peer.notify(ep.name, '/3/0/13', 'from-cli')
      await expect.poll(() => got, POLL).toEqual([`iot-2/type/${ep.type}/id/${ep.name}/evt/notify/fmt/json`])
      r.child.kill('SIGTERM')
      expect(await r.exit).toBe(0)
      const states = stateLines(r.stderr()).map((l) => /mbed bridge (\w+)/.exec(l)?.[1])
      expect(states).toEqual(['starting', 'running', 'stopping', 'stopped'])
      expect(r.stderr()).toMatch(/summary: 1 notification, 1 message published/)
      expect(r.stderr()).not.toContain('ak_cli_secret_key')
      expect(r.stderr()).not.toContain('mqtt-secret-password')
      // Configured from the environment, the bridge never opens the workspace (and never holds its lock); its queue of
      // messages for the broker is the only thing it keeps in the data directory.
      expect(existsSync(join(dataDir, 'data', 'workspace'))).toBe(false)
      expect(readdirSync(join(dataDir, 'data'))).toEqual(['mbed'])
    } finally {
      await sub.endAsync(true)
    }
  })

  // Five processes at once, each loading the whole command tree: seconds each on a busy machine, hence the budget.
  it('exits 2 with the reason for a bad configuration, before connecting anywhere', { timeout: 90_000 }, async () => {
    const missing = run(env({ FIELDLINE_MBED_ACCESS_KEY: '' }))
    const channel = run(env({ FIELDLINE_MBED_CHANNEL: 'carrier-pigeon' }))
    const lonePassword = run(env({ FIELDLINE_MQTT_USERNAME: '' }))
    const rules = run(env({ FIELDLINE_MBED_PRESUBSCRIPTIONS: '[\n  {"endpoint-type": "Light",\n   "resource-path": ["/3311/*/5850"]}\n]' }))
    const insecure = run(env({ FIELDLINE_MBED_URL: 'http://api.connector.mbed.com' }))
    expect(await Promise.all([missing, channel, lonePassword, rules, insecure].map((r) => r.exit))).toEqual([2, 2, 2, 2, 2])

    expect(missing.stderr()).toContain('FIELDLINE_MBED_ACCESS_KEY')
    expect(channel.stderr()).toContain('FIELDLINE_MBED_CHANNEL')
    expect(lonePassword.stderr()).toContain('needs a user name')
    expect(lonePassword.stderr()).not.toContain('mqtt-secret-password')
    expect(rules.stderr()).toContain("FIELDLINE_MBED_PRESUBSCRIPTIONS: line 3, column 22: [0].resource-path[0]: may contain '*' only as its last character")
    expect(insecure.stderr()).toContain('https://')
    expect(insecure.stderr()).not.toContain('ak_cli_secret_key')
  })

  it('writes the pre-subscription rules of FIELDLINE_MBED_PRESUBSCRIPTIONS and subscribes what they cover', async () => {
    const rules = [{ 'endpoint-type': 'Sensor', 'resource-path': ['/3303/*'] }]
    const r = run(env({ FIELDLINE_MBED_PRESUBSCRIPTIONS: JSON.stringify(rules), FIELDLINE_MQTT_CLIENT_ID: `a:test:cli-rules-${process.pid}` }))
    await expect.poll(() => stateLines(r.stderr()).some((l) => l.includes('mbed bridge running')), POLL).toBe(true)
    const written = await fetch(`${peer.url}/v2/subscriptions`, { headers: { authorization: 'Bearer ak_cli_secret_key' } })
    expect(await written.json()).toEqual(rules)
    const sensor = peer.endpoints().find((e) => e.type === 'Sensor')
    if (!sensor) throw new Error('no sensor')
    await expect.poll(() => peer.subscribed('ak_cli_secret_key', sensor.name, '/3303/0/5700'), POLL).toBe(true)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
  })

  it('exits 1 when mbed refuses the key', async () => {
    const r = run(env({ FIELDLINE_MBED_ACCESS_KEY: 'ak_revoked' }))
    expect(await r.exit).toBe(1)
    expect(stateLines(r.stderr()).some((l) => l.includes('mbed bridge failed') && l.includes('[AUTH_FAILED]'))).toBe(true)
  })

  it('warns about unencrypted MQTT to another host and runs anyway', async () => {
    // 0.0.0.0 is not a loopback name for the URL rule, so the warning must appear; whether it connects does not matter.
    const r = run(env({ FIELDLINE_MQTT_URL: `mqtt://0.0.0.0:${broker.port}` }))
    await expect.poll(() => r.stderr(), POLL).toContain('mbed bridge starting')
    expect(r.stderr()).toMatch(/warning: mqtt:\/\/0\.0\.0\.0:\d+ is not encrypted/)
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
  })

  it('--check verifies the key and exits', async () => {
    const ok = run(env(), ['--check'])
    expect(await ok.exit).toBe(0)
    expect(ok.stderr()).toContain('access key accepted')
    const bad = run(env({ FIELDLINE_MBED_ACCESS_KEY: 'ak_revoked' }), ['--check'])
    expect(await bad.exit).toBe(1)
    expect(bad.stderr()).toContain('refused the access key')
  })

  it('--json --check prints the outcome as JSON on stdout', async () => {
    const json = (e: Record<string, string>) => startCli(['--data-dir', join(dataDir, 'data'), '--json', 'bridge', 'mbed', '--check'], e, (k) => !k.startsWith('FIELDLINE_'))
    const ok = json(env())
    expect(await ok.exit).toBe(0)
    expect(JSON.parse(ok.stdout())).toMatchObject({ ok: true, flavour: 'connector', apiUrl: peer.url, detail: { kind: 'limits' } })
    const bad = json(env({ FIELDLINE_MBED_ACCESS_KEY: 'ak_revoked' }))
    expect(await bad.exit).toBe(1)
    expect(JSON.parse(bad.stdout())).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } })
  })
})

describe('bridge configuration from saved profiles', () => {
  it('maps the mbed profile and the platform profile it names, secrets from the vault', async () => {
    const dir = await tempDir()
    const ws = await openWorkspace(dir.dir)
    try {
      const profiles = createProfilesService({ db: ws.db, vault: createMemoryStore(), bus: new EventBus() })
      const ctx = { actor: 'test' }
      await profiles.save({ extension: 'platform', name: 'Other', settings: { url: 'mqtts://other:8883', clientId: 'a:o:other', username: '', ca: '', restUrl: '' }, secrets: {} }, ctx)
      const platform = await profiles.save(
        { extension: 'platform', name: 'Plant', settings: { url: 'mqtt://10.1.2.3:1883', clientId: 'a:org:bridge', username: 'a-org-key', ca: '', restUrl: '' }, secrets: { password: 'tok' } },
        ctx,
      )
      const rules = [{ 'endpoint-name': 'plant-*', 'resource-path': ['/3303/0/5700'] }]
      const settings = {
        apiUrl: 'https://api.us-east-1.mbedcloud.com',
        flavour: 'pelion' as const,
        domainId: '',
        channel: 'websocket' as const,
        defaultDeviceType: 'ep',
        queueSize: 2000,
        platformProfile: platform.id,
      }
      const mbed = await profiles.save({ extension: 'mbed', name: 'Pelion', settings: { ...settings, presubscriptions: rules }, secrets: { accessKey: 'ak_profile' } }, ctx)
      // A save that does not carry the rules (today's profile form) keeps them.
      await profiles.save({ id: mbed.id, extension: 'mbed', name: 'Pelion', settings, secrets: {} }, ctx)
      const rt = { core: { profiles } } as unknown as Runtime
      const config = await configFromProfile(rt, mbed.id)
      expect(config).toEqual({
        mbed: { apiUrl: 'https://api.us-east-1.mbedcloud.com', accessKey: 'ak_profile', flavour: 'pelion', channel: 'websocket', defaultDeviceType: 'ep', queueSize: 2000, presubscriptions: rules },
        mqtt: { url: 'mqtt://10.1.2.3:1883', clientId: 'a:org:bridge', username: 'a-org-key', password: 'tok' },
      })
      await expect(configFromProfile(rt, 'nope')).rejects.toMatchObject({ exitCode: 2 })
    } finally {
      await ws.close()
      await dir.cleanup()
    }
  })
})
