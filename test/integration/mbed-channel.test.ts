/**
 * The mbed client and notification channel against the mbed peer (test/peers/mbed) over real HTTP and WebSocket:
 * verify outcomes, long-poll faults (204, 410, 401, 429, 5xx, drops) and WebSocket close codes, per
 * docs/wire/mbed.md §1.5. No timed assertions and no sleeps: tests wait for states and counts.
 */
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createNotificationChannel, type ChannelStateEvent, type NotificationChannel } from '../../src-main/core/mbed/channel'
import { createMbedClient, type MbedClient, type MbedFlavour } from '../../src-main/core/mbed/connector.client'
import type { MbedEnvelope } from '../../src-main/core/mbed/envelope'
import { selfSignedCert } from '../helpers/mosquitto'
import { freePort } from '../helpers/ports'
import { startMbedPeer, type MbedPeer, type MbedPeerOptions } from '../peers/mbed/mbed.peer'

const POLL = { timeout: 15_000, interval: 20 }
const FAST = { minMs: 20, maxMs: 100 }

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

/** An observable resource every seeded endpoint has; the peer delivers notifications only for subscribed ones. */
const OBSERVED = '/3/0/13'

async function peer(options: MbedPeerOptions = {}): Promise<MbedPeer> {
  const p = await startMbedPeer({ pollTimeoutMs: 300, ...options })
  cleanups.push(() => p.close())
  const subscribed = await fetch(`${p.url}/v2/subscriptions/${firstEp(p)}${OBSERVED}`, { method: 'PUT', headers: { authorization: 'Bearer ak_test_key' } })
  expect(subscribed.status).toBe(200)
  return p
}

function client(p: MbedPeer, flavour: MbedFlavour = 'connector', key = 'ak_test_key', extra: Partial<Parameters<typeof createMbedClient>[0]> = {}): MbedClient {
  const c = createMbedClient({ baseUrl: p.url, accessKey: key, flavour, ...extra })
  cleanups.push(() => c.close())
  return c
}

interface Harness {
  channel: NotificationChannel
  envelopes: MbedEnvelope[]
  states: ChannelStateEvent[]
  payloads: () => string[]
}

function channel(c: MbedClient, kind: 'longpoll' | 'websocket' = 'longpoll'): Harness {
  const envelopes: MbedEnvelope[] = []
  const ch = createNotificationChannel({ client: c, kind, onEnvelope: (e) => envelopes.push(e), reconnect: FAST, goneWaitMs: 50, stopTimeoutMs: 2_000 })
  const states: ChannelStateEvent[] = []
  ch.on('state', (e) => states.push(e))
  cleanups.push(() => ch.stop())
  return { channel: ch, envelopes, states, payloads: () => envelopes.flatMap((e) => e.notifications.map((n) => Buffer.from(n.payload, 'base64').toString())) }
}

/**
 * The window in which a channel that should have stopped would show up in the counts: as long as a twin channel with
 * the same back-off takes to retry three times (its long polls answered 503, or its sockets dropped with 1006). It
 * waits on the twin's retries, not on a clock, so the window stays long enough on a loaded machine.
 */
async function whileATwinRetries(kind: 'longpoll' | 'websocket'): Promise<void> {
  const p = await peer(kind === 'websocket' ? { flavour: 'pelion' } : {})
  p.faults.set(kind === 'websocket' ? { kind: 'wsClose', code: 1006, times: 4 } : { kind: 'status', status: 503, path: /notification\/pull/ })
  const twin = channel(client(p, kind === 'websocket' ? 'pelion' : 'connector'), kind)
  twin.channel.start()
  await expect.poll(() => twin.states.filter((s) => s.state === 'reconnecting').length, POLL).toBeGreaterThanOrEqual(3)
  await twin.channel.stop()
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(AppError)
  return e as AppError
}

function firstEp(p: MbedPeer): string {
  const ep = p.endpoints()[0]
  if (!ep) throw new Error('the peer has no endpoint')
  return ep.name
}

describe('mbed client', () => {
  it('verifies a Connector key with GET /v2/limits and a Pelion key with GET /v3/api-keys/me', async () => {
    const connector = await peer()
    const r1 = await client(connector).verify()
    expect(r1).toMatchObject({ flavour: 'connector', apiUrl: connector.url, detail: { kind: 'limits', transactionQuota: 10000, endpointQuota: 100 } })
    expect(connector.stats().byRoute['GET /v2/limits']).toBe(1)

    const pelion = await peer({ flavour: 'pelion' })
    const r2 = await client(pelion, 'pelion').verify()
    expect(r2.detail).toMatchObject({ kind: 'apiKey', name: 'fieldline-test-key-1', status: 'ACTIVE' })
    expect(pelion.stats().byRoute['GET /v3/api-keys/me']).toBe(1)
  })

  it('tells a bad key, a host that is not mbed, a dead port and a slow host apart', async () => {
    const p = await peer()
    const bad = await rejection(client(p, 'connector', 'ak_wrong').verify())
    expect(bad.code).toBe('AUTH_FAILED')
    expect(bad.details?.ref?.key).toBe('mbed.authFailed')

    p.faults.set({ kind: 'html', status: 200, path: /limits/, times: 1 })
    const html = await rejection(client(p).verify())
    expect(html.code).toBe('NOT_FOUND')
    expect(html.details?.ref?.key).toBe('mbed.notMbedApi')

    const dead = await rejection(createMbedClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, accessKey: 'k' }).verify())
    expect(dead.code).toBe('NETWORK')

    // Far beyond the 100 ms header timeout, so a loaded machine's late timers cannot let the answer arrive first.
    p.faults.set({ kind: 'latency', ms: 60_000, path: /limits/, times: 3 })
    const slow = await rejection(client(p, 'connector', 'ak_test_key', { timeoutMs: { headers: 100 } }).verify())
    expect(slow.code).toBe('TIMEOUT')
  })

  it('refuses a certificate it cannot verify (TLS)', async () => {
    const cert = await selfSignedCert()
    if (!cert) return
    const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('{}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const url = `https://localhost:${(server.address() as AddressInfo).port}`
    const e = await rejection(createMbedClient({ baseUrl: url, accessKey: 'k' }).verify())
    expect(e.code).toBe('TLS')
    // With the test certificate as the custom CA, the same host is trusted.
    await expect(createMbedClient({ baseUrl: url, accessKey: 'k', ca: [cert.cert] }).verify()).resolves.toMatchObject({ detail: { kind: 'limits' } })
  })

  it('lists endpoints (with a type filter) and their resources', async () => {
    const p = await peer()
    const c = client(p)
    const all = await c.listEndpoints()
    expect(all.map((e) => e.type)).toEqual(['Light', 'Light', 'Sensor', 'Tracker'])
    expect(all[3]?.queueMode).toBe(true)
    expect((await c.listEndpoints({ type: 'Sensor' })).map((e) => e.name)).toEqual([all[2]?.name])
    const resources = await c.endpointResources(firstEp(p))
    expect(resources.find((r) => r.path === '/3/0/0')).toMatchObject({ obs: false, ct: 'text/plain' })
    expect((await rejection(c.endpointResources('nobody'))).details?.ref?.key).toBe('mbed.endpointNotFound')
  })

  it('sends resource requests in both forms and reports what mbed refused', async () => {
    const legacy = await peer()
    const ep = firstEp(legacy)
    const r = await client(legacy).resourceRequest({ ep, path: '/3/0/1', method: 'PUT', payload: Buffer.from('x1') })
    expect(r).toMatchObject({ kind: 'async', status: 202 })
    expect(legacy.commands()[0]).toMatchObject({ method: 'PUT', ep, path: '/3/0/1', form: 'resource', contentType: 'text/plain' })
    expect(legacy.commands()[0]?.body.toString()).toBe('x1')
    const gone = await rejection(client(legacy).resourceRequest({ ep: 'nobody', path: '/3/0/1', method: 'POST', payload: Buffer.alloc(0) }))
    expect(gone.details?.ref?.key).toBe('mbed.endpointNotFound')
    const missing = await rejection(client(legacy).resourceRequest({ ep, path: '/9/9/9', method: 'PUT', payload: Buffer.from('1') }))
    expect(missing.details?.ref?.key).toBe('mbed.resourceNotFound')

    const pelion = await peer({ flavour: 'pelion' })
    const pep = firstEp(pelion)
    const p = await client(pelion, 'pelion').resourceRequest({ ep: pep, path: '/3/0/1', method: 'POST', payload: Buffer.from('go'), asyncId: 'my-id-1' })
    expect(p).toEqual({ kind: 'async', asyncId: 'my-id-1', status: 202 })
    expect(pelion.commands()[0]).toMatchObject({ method: 'POST', ep: pep, path: '/3/0/1', form: 'device-request', asyncId: 'my-id-1' })
    expect(pelion.commands()[0]?.body.toString()).toBe('go')
  })
})

describe('long poll channel', () => {
  it('delivers envelopes and keeps polling through 204 idle answers', async () => {
    const p = await peer()
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    await expect.poll(() => h.channel.stats().idlePolls, POLL).toBeGreaterThanOrEqual(2)
    p.notify(firstEp(p), OBSERVED, 'after-idle')
    await expect.poll(() => h.payloads(), POLL).toEqual(['after-idle'])
    // The first poll is noWait=true (creates the channel), later ones hold.
    await h.channel.stop()
    expect(h.channel.state).toBe('stopped')
  })

  it('410 channel deleted: waits, re-creates the channel and continues', async () => {
    const p = await peer()
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.faults.set({ kind: 'status', status: 410, path: /notification\/pull/, times: 1 })
    await expect.poll(() => h.channel.stats().recreated, POLL).toBe(1)
    expect(h.states.some((s) => s.state === 'reconnecting' && s.reason?.details?.ref?.key === 'mbed.channelGone')).toBe(true)
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.notify(firstEp(p), OBSERVED, 'after-410')
    await expect.poll(() => h.payloads(), POLL).toEqual(['after-410'])
  })

  it('401 stops the channel with AUTH_FAILED and polls no more', async () => {
    const p = await peer()
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.faults.set({ kind: 'status', status: 401, path: /notification\/pull/ })
    await expect.poll(() => h.channel.state, POLL).toBe('failed')
    expect(h.channel.lastError?.code).toBe('AUTH_FAILED')
    const polls = p.stats().byRoute['GET /v2/notification/pull']
    await whileATwinRetries('longpoll')
    expect(p.stats().byRoute['GET /v2/notification/pull']).toBe(polls)
  })

  it('429 backs off (Retry-After honoured) and continues', async () => {
    const p = await peer()
    const h = channel(client(p))
    p.faults.set({ kind: 'status', status: 429, path: /notification\/pull/, times: 2, retryAfterSeconds: 0 })
    h.channel.start()
    await expect.poll(() => h.channel.stats().rateLimited, POLL).toBe(2)
    expect(h.states.filter((s) => s.state === 'reconnecting' && s.reason?.code === 'RATE_LIMITED')).toHaveLength(2)
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.notify(firstEp(p), OBSERVED, 'after-429')
    await expect.poll(() => h.payloads(), POLL).toEqual(['after-429'])
  })

  it('reconnects with back-off after 5xx answers and dropped connections', async () => {
    const p = await peer()
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.faults.set({ kind: 'status', status: 503, path: /notification\/pull/, times: 2 })
    p.faults.set({ kind: 'drop', path: /notification\/pull/, times: 2 })
    await expect.poll(() => h.channel.stats().reconnects, POLL).toBeGreaterThanOrEqual(2)
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    p.notify(firstEp(p), OBSERVED, 'after-outage')
    await expect.poll(() => h.payloads(), POLL).toEqual(['after-outage'])
  })

  // Cold trial: pointed at a host that is not mbed at all (one answering 404 in JSON), the bridge said only to use the
  // WebSocket channel on Pelion hosts, sending the operator to change the channel instead of the address.
  it('a host without long polling says to check the API host first, then the channel', async () => {
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"The resource does not exist."}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const c = createMbedClient({ baseUrl: url, accessKey: 'ak_test_key', flavour: 'connector' })
    const error = await rejection(c.pull({ noWait: true }))
    expect(error).toMatchObject({ code: 'NOT_FOUND', details: { ref: { key: 'mbed.longPollUnavailable' } } })
    expect(error.message).toBe(`${url} does not offer long polling (HTTP 404): check the API host; a Pelion/Izuma host offers the WebSocket channel instead`)
  })

  it('a host that answers HTML is not an mbed API: stops', async () => {
    const p = await peer()
    p.faults.set({ kind: 'html', status: 200, path: /notification\/pull/ })
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('failed')
    expect(h.channel.lastError?.details?.ref?.key).toBe('mbed.notMbedApi')
  })

  it('stop() during a held poll returns without waiting out the hold and loses nothing', async () => {
    const p = await peer({ pollTimeoutMs: 60_000 })
    const h = channel(client(p))
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    // Let the next (held) poll reach the peer.
    await expect.poll(() => p.stats().byRoute['GET /v2/notification/pull'] ?? 0, POLL).toBeGreaterThanOrEqual(2)
    await h.channel.stop()
    expect(h.channel.state).toBe('stopped')
    expect(h.channel.stats().lostAfterStop).toBe(0)
  })
})

describe('WebSocket channel', () => {
  async function openWs(): Promise<{ p: MbedPeer; h: Harness }> {
    const p = await peer({ flavour: 'pelion' })
    const h = channel(client(p, 'pelion'), 'websocket')
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    return { p, h }
  }

  it('registers the channel, connects with the Bearer key and delivers frames', async () => {
    const { p, h } = await openWs()
    expect(p.stats().byRoute['PUT /v2/notification/websocket']).toBe(1)
    p.notify(firstEp(p), OBSERVED, 'frame-1')
    await expect.poll(() => h.payloads(), POLL).toEqual(['frame-1'])
  })

  it.each([1006, 1012] as const)('close %i: reconnects with back-off, without registering again', async (code) => {
    const { p, h } = await openWs()
    p.faults.set({ kind: 'wsClose', code })
    await expect.poll(() => p.stats().wsConnections, POLL).toBe(2)
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    expect(p.stats().byRoute['PUT /v2/notification/websocket']).toBe(1)
    expect(h.states.some((s) => s.state === 'reconnecting')).toBe(true)
    p.notify(firstEp(p), OBSERVED, `after-${code}`)
    await expect.poll(() => h.payloads(), POLL).toEqual([`after-${code}`])
  })

  it('close 1011: registers the channel again (PUT), then reconnects', async () => {
    const { p, h } = await openWs()
    p.faults.set({ kind: 'wsClose', code: 1011 })
    await expect.poll(() => p.stats().byRoute['PUT /v2/notification/websocket'], POLL).toBe(2)
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    expect(h.channel.stats().recreated).toBe(1)
    p.notify(firstEp(p), OBSERVED, 'after-1011')
    await expect.poll(() => h.payloads(), POLL).toEqual(['after-1011'])
  })

  it.each([
    [1008, 'AUTH_FAILED', 'mbed.keyInvalidated'],
    [1000, 'NOT_FOUND', 'mbed.channelDeleted'],
    [1001, 'CONFLICT', 'mbed.channelReplaced'],
  ] as const)('close %i: stops with %s and does not reconnect', async (code, errorCode, key) => {
    const { p, h } = await openWs()
    p.faults.set({ kind: 'wsClose', code })
    await expect.poll(() => h.channel.state, POLL).toBe('failed')
    expect(h.channel.lastError?.code).toBe(errorCode)
    expect(h.channel.lastError?.details?.ref?.key).toBe(key)
    await whileATwinRetries('websocket')
    expect(p.stats().wsConnections).toBe(1)
  })

  it('a refused key stops the channel with AUTH_FAILED', async () => {
    const p = await peer({ flavour: 'pelion' })
    const h = channel(client(p, 'pelion', 'ak_wrong'), 'websocket')
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('failed')
    expect(h.channel.lastError?.code).toBe('AUTH_FAILED')
  })

  it('a handshake answered 503 is retried', async () => {
    const p = await peer({ flavour: 'pelion' })
    p.faults.set({ kind: 'status', status: 503, path: /websocket-connect/, times: 2 })
    const h = channel(client(p, 'pelion'), 'websocket')
    h.channel.start()
    await expect.poll(() => h.channel.state, POLL).toBe('open')
    expect(h.channel.stats().reconnects).toBe(2)
  })
})
