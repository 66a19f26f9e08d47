/**
 * Shared set-up of the mbed bridge integration tests: the mbed peer, our client, a platform link to a broker, the
 * bridge, and MQTT subscribers that record what the bridge published. Everything a test starts is closed by
 * `runCleanups` (each test file calls it in afterEach).
 */
import { randomUUID } from 'node:crypto'
import { connect, connectAsync, type MqttClient } from 'mqtt'
import { expect } from 'vitest'
import { createMbedBridge, type ChannelFactory, type MbedBridge, type MbedBridgeEvent, type MbedBridgeOptions } from '../../src-main/core/mbed/bridge'
import { createMbedClient, type MbedClient, type MbedFlavour } from '../../src-main/core/mbed/connector.client'
import { createPlatformLink, type PlatformLink } from '../../src-main/core/platform/link'
import { createBridgeLink } from '../../src-main/core/mbed/session'
import { startMbedPeer, type MbedPeer, type MbedPeerOptions } from '../peers/mbed/mbed.peer'
import { tempDir } from './core'

export const POLL = { timeout: 20_000, interval: 20 }
export const FAST = { minMs: 50, maxMs: 400 }
export const b64 = (text: string): string => Buffer.from(text).toString('base64')

let seq = 0
export const cleanups: (() => Promise<unknown>)[] = []
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
}

export interface Received {
  topic: string
  body: Record<string, unknown>
}

export async function subscriber(url: string, filter = 'iot-2/type/+/id/+/evt/+/fmt/json'): Promise<{ client: MqttClient; received: Received[]; of: (event: string) => Received[] }> {
  seq += 1
  const client = await connectAsync(url, { clientId: `mbed-test-sub-${process.pid}-${seq}`, reconnectPeriod: 0 })
  cleanups.push(() => client.endAsync(true))
  const received: Received[] = []
  client.on('message', (topic, payload) => {
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>
    } catch {
      body = { raw: payload.toString('utf8') }
    }
    received.push({ topic, body })
  })
  await client.subscribeAsync(filter, { qos: 1 })
  return { client, received, of: (event) => received.filter((r) => r.topic.split('/')[6] === event) }
}

export interface Setup {
  peer: MbedPeer
  client: MbedClient
  link: PlatformLink
  bridge: MbedBridge
  events: MbedBridgeEvent[]
}

export async function setup(
  brokerUrl: string,
  options: {
    flavour?: MbedFlavour
    peer?: MbedPeerOptions
    bridge?: Partial<MbedBridgeOptions>
    /** A channel built around the test's client (a channel with a fault of the test's own). */
    channel?: (client: MbedClient) => ChannelFactory
    key?: string
    start?: boolean
    /** The bridge's own persistent link and session, as the app and the CLI build it (session.ts), instead of a clean one. */
    persistent?: boolean
    /** An mbed peer already running (a bridge started again against the same mbed). */
    existingPeer?: MbedPeer
  } = {},
): Promise<Setup> {
  seq += 1
  const flavour = options.flavour ?? 'connector'
  let peer = options.existingPeer
  if (!peer) {
    const started = await startMbedPeer({ flavour, pollTimeoutMs: 300, seed: seq, ...options.peer })
    cleanups.push(() => started.close())
    peer = started
  }
  const client = createMbedClient({ baseUrl: peer.url, accessKey: options.key ?? 'ak_test_key', flavour })
  cleanups.push(() => client.close())
  // The bridge's queue on disk: a folder of its own unless the test names one (a restart finding its queue again).
  let queueDir = options.bridge?.queueDir
  if (queueDir === undefined) {
    const dir = await tempDir('fieldline-mbed-queue-')
    cleanups.push(() => dir.cleanup())
    queueDir = dir.dir
  }
  const link = options.persistent
    ? createBridgeLink({ url: brokerUrl, clientId: `a:test:mbed-${process.pid}` }, queueDir, { reconnect: FAST })
    : createPlatformLink({ url: brokerUrl, clientId: `a:test:mbed-${process.pid}-${seq}`, reconnect: FAST })
  cleanups.push(() => link.close())
  const bridge = createMbedBridge({
    client,
    link,
    channel: { kind: flavour === 'pelion' ? 'websocket' : 'longpoll', reconnect: FAST, goneWaitMs: 50, stopTimeoutMs: 2_000 },
    drainTimeoutMs: 5_000,
    ...(options.channel ? { channel: options.channel(client) } : {}),
    ...options.bridge,
    queueDir,
  })
  cleanups.push(() => bridge.stop())
  const events: MbedBridgeEvent[] = []
  bridge.on((e) => events.push(e))
  if (options.start !== false) {
    await bridge.start()
    await expect.poll(() => bridge.state, POLL).toBe('running')
    // The strict peer delivers notifications only for subscribed resources: wait for the bridge's subscriptions.
    if (options.bridge?.presubscriptions === undefined) await allSubscribed(peer, options.key ?? 'ak_test_key')
  }
  return { peer, client, link, bridge, events }
}

/** Every observable resource of every endpoint the peer has is subscribed for `key`. */
export async function allSubscribed(peer: MbedPeer, key = 'ak_test_key'): Promise<void> {
  const wanted = peer.endpoints().flatMap((e) => e.resources.filter((r) => r.obs).map((r) => [e.name, r.path] as const))
  await expect.poll(() => wanted.filter(([ep, path]) => !peer.subscribed(key, ep, path)), POLL).toEqual([])
}

export function endpoint(peer: MbedPeer, type: string): { name: string; type: string } {
  const ep = peer.endpoints().find((e) => e.type === type)
  if (!ep) throw new Error(`no ${type} endpoint`)
  return ep
}

export async function command(sub: MqttClient, type: string, id: string, body: unknown, name = 'update'): Promise<void> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  await sub.publishAsync(`iot-2/type/${type}/id/${id}/cmd/${name}/fmt/json`, payload, { qos: 1 })
}

/**
 * Connects under a bridge's client id keeping its session, as that bridge does at its next start: whether the broker
 * still had the session (CONNACK's session present), and the topics of the commands it had queued for it (delivered
 * right after the CONNACK, so before a probe this connection publishes to itself once subscribed comes back). Leaves
 * the session subscribed to the commands, as a bridge leaves it.
 */
export async function resumeSession(url: string, clientId: string): Promise<{ present: boolean; commands: string[] }> {
  const client = connect(url, { clientId, clean: false, reconnectPeriod: 0 })
  const probe = `fieldline-test/probe/${randomUUID()}`
  const commands: string[] = []
  let probed = (): void => undefined
  const back = new Promise<void>((resolve) => (probed = resolve))
  client.on('message', (topic) => (topic === probe ? probed() : commands.push(topic)))
  try {
    const present = await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent))
      client.once('error', reject)
    })
    await client.subscribeAsync(['iot-2/type/+/id/+/cmd/+/fmt/+', probe], { qos: 1 })
    await client.publishAsync(probe, 'probe', { qos: 1 })
    await back
    return { present, commands }
  } finally {
    await client.endAsync()
  }
}
