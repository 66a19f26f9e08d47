/**
 * Nothing acknowledged is lost across kill -9 (core/mbed/publish-queue.ts): once a long poll's answer is read, mbed has
 * forgotten those notifications, so the bridge must have them on disk before it polls again. `fieldline bridge mbed`
 * runs as a process (the real command tree, configured by environment variables) against the mbed peer and a real
 * mosquitto; the broker is stopped, the peer delivers notifications, the bridge is killed with SIGKILL, and started
 * again with the broker back: every notification arrives (at least once: QoS 1), in order, and the restart says how many
 * messages it found from the last run. A second bridge on the same queue directory is refused with the reason. The same
 * across kill -9 for the WebSocket channel (Pelion), where a frame mbed sent is forgotten as soon as it is sent, and for
 * an async response that came before its command's 202 (held on disk for it: core/mbed/early-answers.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/core'
import { commandTopic } from '../../src-main/core/platform/topics'
import { killCommands, startCli, type CommandRun } from '../helpers/cli-process'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const skip = mosquittoSkipReason()
const POLL = { timeout: 30_000, interval: 50 }
const KEY = 'ak_kill_test_key'
const N = 25

afterEach(killCommands)

describe.skipIf(skip)('mbed bridge across kill -9', () => {
  let broker: Mosquitto
  let peer: MbedPeer
  let dataDir: string
  let removeDataDir: () => Promise<void>

  beforeAll(async () => {
    ;({ dir: dataDir, cleanup: removeDataDir } = await tempDir())
    broker = await startMosquitto()
    peer = await startMbedPeer({ pollTimeoutMs: 300, accessKeys: [KEY] })
  })

  afterAll(async () => {
    await peer?.close()
    await broker?.stop()
    await removeDataDir?.()
  })

  const env = (): Record<string, string> => ({
    FIELDLINE_MBED_URL: peer.url,
    FIELDLINE_MBED_ACCESS_KEY: KEY,
    FIELDLINE_MQTT_URL: broker.url,
    FIELDLINE_MQTT_CLIENT_ID: `a:test:kill-${process.pid}`,
  })
  const bridge = (): CommandRun => startCli(['--data-dir', join(dataDir, 'data'), 'bridge', 'mbed'], env(), (k) => !k.startsWith('FIELDLINE_'))
  const pulls = (): number => peer.stats().byRoute['GET /v2/notification/pull'] ?? 0

  it('publishes every notification it had read when killed, after its restart, in order', { timeout: 120_000 }, async () => {
    const ep = peer.endpoints()[0]
    if (!ep) throw new Error('no endpoint')
    const first = bridge()
    await expect.poll(() => first.stderr(), POLL).toContain('mbed bridge running')
    await expect.poll(() => peer.subscribed(KEY, ep.name, '/3/0/13'), POLL).toBe(true)

    // A second bridge on the same queue is refused before it touches mbed or the broker.
    const second = bridge()
    expect(await second.exit).toBe(1)
    expect(second.stderr()).toMatch(/mbed bridge failed: Another mbed bridge \(process \d+\) is using the message queue in .*\[CONFLICT\]/)
    expect(first.child.exitCode).toBeNull()

    await broker.kill()
    await expect.poll(() => first.stderr(), POLL).toContain('mbed bridge degraded')
    const before = peer.stats().notificationsDelivered
    for (let i = 0; i < N; i++) peer.notify(ep.name, '/3/0/13', `n${i}`)
    await expect.poll(() => peer.stats().notificationsDelivered - before, POLL).toBe(N)
    // mbed has forgotten them. The next poll comes only after the bridge handled the answer (and wrote it down).
    const polled = pulls()
    await expect.poll(pulls, POLL).toBeGreaterThan(polled)
    first.child.kill('SIGKILL')
    await first.exit
    expect(first.child.signalCode).toBe('SIGKILL')
    const queues = join(dataDir, 'data', 'mbed', 'queues')
    expect(readdirSync(queues)).toEqual([expect.stringMatching(/^env-[0-9a-f]{16}$/)])

    await broker.start()
    const sub = await connectAsync(broker.url, { clientId: `kill-sub-${process.pid}`, reconnectPeriod: 0 })
    const got: string[] = []
    sub.on('message', (_topic, payload) => got.push(Buffer.from((JSON.parse(payload.toString('utf8')) as { payload: string }).payload, 'base64').toString('utf8')))
    try {
      await sub.subscribeAsync(`iot-2/type/${ep.type}/id/${ep.name}/evt/notify/fmt/json`, { qos: 1 })
      const again = bridge()
      const all = Array.from({ length: N }, (_, i) => `n${i}`)
      await expect.poll(() => all.filter((n) => !got.includes(n)), POLL).toEqual([])
      // In order: the first copy of each comes in the order mbed delivered them.
      expect([...new Set(got)]).toEqual(all)
      // The restart said what it found, and says when none of it waits any more.
      const kept = /mbed bridge: (\d+) messages kept from the last run in (\S+) are delivered first/.exec(again.stderr())
      expect(Number(kept?.[1])).toBeGreaterThanOrEqual(N)
      expect(kept?.[2]).toBe(join(queues, readdirSync(queues)[0] ?? ''))
      await expect.poll(() => again.stderr(), POLL).toContain(`the ${kept?.[1]} messages kept from the last run are no longer waiting`)
      again.child.kill('SIGTERM')
      expect(await again.exit).toBe(0)
      expect(again.stderr()).toMatch(/summary: .*, 0 undelivered/)
    } finally {
      await sub.endAsync(true)
    }
    expect(existsSync(join(dataDir, 'data', 'workspace'))).toBe(false)
  })

  it('WebSocket channel (Pelion): what it wrote from the frames it read is published after kill -9, in order', { timeout: 120_000 }, async () => {
    const pelion = await startMbedPeer({ flavour: 'pelion', accessKeys: [KEY] })
    try {
      const ep = pelion.endpoints()[0]
      if (!ep) throw new Error('no endpoint')
      const data = join(dataDir, 'websocket')
      const wsEnv = { ...env(), FIELDLINE_MBED_URL: pelion.url, FIELDLINE_MBED_CHANNEL: 'websocket', FIELDLINE_MBED_FLAVOUR: 'pelion', FIELDLINE_MQTT_CLIENT_ID: `a:test:kill-ws-${process.pid}` }
      const wsBridge = (): CommandRun => startCli(['--data-dir', data, 'bridge', 'mbed'], wsEnv, (k) => !k.startsWith('FIELDLINE_'))
      const first = wsBridge()
      await expect.poll(() => first.stderr(), POLL).toContain('mbed bridge running')
      await expect.poll(() => pelion.subscribed(KEY, ep.name, '/3/0/13'), POLL).toBe(true)

      await broker.kill()
      await expect.poll(() => first.stderr(), POLL).toContain('mbed bridge degraded')
      const before = pelion.stats().notificationsDelivered
      for (let i = 0; i < N; i++) pelion.notify(ep.name, '/3/0/13', `w${i}`)
      // Sent as frames, mbed has forgotten them; the bridge has them once each is a line of its queue on disk.
      await expect.poll(() => pelion.stats().notificationsDelivered - before, POLL).toBe(N)
      const queues = join(data, 'mbed', 'queues')
      const written = (): number =>
        readdirSync(queues)
          .flatMap((q) =>
            readdirSync(join(queues, q))
              .filter((f) => f.endsWith('.seg'))
              .map((f) => join(queues, q, f)),
          )
          .reduce(
            (n, f) =>
              n +
              readFileSync(f, 'utf8')
                .split('\n')
                .filter((l) => l.includes('"k":"notify"')).length,
            0,
          )
      await expect.poll(written, POLL).toBe(N)
      first.child.kill('SIGKILL')
      await first.exit
      expect(first.child.signalCode).toBe('SIGKILL')

      await broker.start()
      const sub = await connectAsync(broker.url, { clientId: `kill-ws-sub-${process.pid}`, reconnectPeriod: 0 })
      const got: string[] = []
      sub.on('message', (_topic, payload) => got.push(Buffer.from((JSON.parse(payload.toString('utf8')) as { payload: string }).payload, 'base64').toString('utf8')))
      try {
        await sub.subscribeAsync(`iot-2/type/${ep.type}/id/${ep.name}/evt/notify/fmt/json`, { qos: 1 })
        const again = wsBridge()
        const all = Array.from({ length: N }, (_, i) => `w${i}`)
        await expect.poll(() => all.filter((n) => !got.includes(n)), POLL).toEqual([])
        expect([...new Set(got)]).toEqual(all)
        expect(again.stderr()).toMatch(/mbed bridge: \d+ messages kept from the last run in \S+ are delivered first/)
        again.child.kill('SIGTERM')
        expect(await again.exit).toBe(0)
        expect(again.stderr()).toMatch(/summary: .*, 0 undelivered/)
      } finally {
        await sub.endAsync(true)
      }
    } finally {
      await pelion.close()
    }
  })

  it('an async response that came before its 202 is published after kill -9 (legacy form, two connections)', { timeout: 120_000 }, async () => {
    const ep = peer.endpoints()[0]
    if (!ep) throw new Error('no endpoint')
    const earlyEnv = { ...env(), FIELDLINE_MQTT_CLIENT_ID: `a:test:kill-early-${process.pid}` }
    const earlyBridge = (): CommandRun => startCli(['--data-dir', join(dataDir, 'early'), 'bridge', 'mbed'], earlyEnv, (k) => !k.startsWith('FIELDLINE_'))
    const sub = await connectAsync(broker.url, { clientId: `kill-early-sub-${process.pid}`, reconnectPeriod: 0 })
    const got: Record<string, unknown>[] = []
    sub.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>))
    try {
      await sub.subscribeAsync(`iot-2/type/${ep.type}/id/${ep.name}/evt/asyncResponse/fmt/json`, { qos: 1 })
      const first = earlyBridge()
      await expect.poll(() => first.stderr(), POLL).toContain('mbed bridge running')
      // The first command's 202 is held back for longer than the test: its async response comes first, on the channel.
      peer.faults.set({ kind: 'slowAnswer', ms: 100_000, path: new RegExp(`^/v2/endpoints/${ep.name}/`), times: 1 })
      const delivered = peer.stats().asyncResponsesDelivered
      const commandsBefore = peer.commands().length
      const reboot = JSON.stringify({ method: 'POST', deviceId: ep.name, resourceId: '3/0/4' })
      // Sent again until the bridge has subscribed to the commands (it takes them once running): the first to arrive is the slow one.
      await expect
        .poll(
          async () => {
            if (peer.commands().length === commandsBefore) await sub.publishAsync(commandTopic(ep.type, ep.name, 'reboot', 'json'), reboot, { qos: 1 })
            return peer.commands().length
          },
          { timeout: 30_000, interval: 250 },
        )
        .toBeGreaterThan(commandsBefore)
      const asyncId = peer.commands()[commandsBefore]?.asyncId
      await expect.poll(() => peer.stats().asyncResponsesDelivered - delivered, POLL).toBeGreaterThanOrEqual(1)
      // mbed has forgotten it: the bridge polls again only once it handled the answer.
      const polled = pulls()
      await expect.poll(pulls, POLL).toBeGreaterThan(polled)
      first.child.kill('SIGKILL')
      await first.exit
      expect(first.child.signalCode).toBe('SIGKILL')
      expect(got.filter((g) => g.id === asyncId)).toEqual([])

      // Its command lived in the killed process: published by what its legacy id names (endpoint and path).
      const again = earlyBridge()
      await expect.poll(() => got.filter((g) => g.id === asyncId).length, POLL).toBeGreaterThanOrEqual(1)
      expect(got.find((g) => g.id === asyncId)).toMatchObject({ id: asyncId, status: expect.any(Number), ep: ep.name, path: '/3/0/4' })
      again.child.kill('SIGTERM')
      expect(await again.exit).toBe(0)
    } finally {
      peer.faults.clear()
      await sub.endAsync(true)
    }
  })
})
