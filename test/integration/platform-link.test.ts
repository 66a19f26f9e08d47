/**
 * The platform link against a real mosquitto (test/helpers/mosquitto.ts). No timed assertions: tests wait for
 * states and messages with expect.poll and count what happened (state events, broker log lines).
 */
import { createServer, type Socket } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createPlatformLink, publishFailure, type LinkStateEvent, type PlatformLink, type PlatformLinkOptions } from '../../src-main/core/platform/link'
import { commandSubscription, commandTopic, eventTopic, parseTopic } from '../../src-main/core/platform/topics'
import { mosquittoSkipReason, selfSignedCert, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()
const POLL = { timeout: 15_000, interval: 20 }
const FAST = { minMs: 50, maxMs: 400 }

let seq = 0
const open: PlatformLink[] = []
const peers: MqttClient[] = []

function link(options: Partial<PlatformLinkOptions> & { url: string }): { link: PlatformLink; states: LinkStateEvent[] } {
  seq += 1
  const l = createPlatformLink({ clientId: `a:test:link-${process.pid}-${seq}`, reconnect: FAST, ...options })
  const states: LinkStateEvent[] = []
  l.on('state', (e) => states.push(e))
  open.push(l)
  return { link: l, states }
}

async function peer(url: string, extra: { username?: string; password?: string } = {}): Promise<MqttClient> {
  seq += 1
  const c = await connectAsync(url, { clientId: `peer-${process.pid}-${seq}`, reconnectPeriod: 0, ...extra })
  peers.push(c)
  return c
}

interface Received {
  topic: string
  payload: string
}

function collector(): { received: Received[]; handler: (topic: string, payload: Buffer) => void } {
  const received: Received[] = []
  return { received, handler: (topic, payload) => received.push({ topic, payload: payload.toString('utf8') }) }
}

function connectionLines(broker: Mosquitto): number {
  return broker
    .log()
    .split('\n')
    .filter((l) => l.includes('New connection from')).length
}

async function caught(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(AppError)
  return e as AppError
}

/**
 * The window in which a link that should have stopped would show up in the counts: as long as a twin link with the
 * same back-off (10–20 ms) takes to retry three times against a broker that answers "server unavailable". It waits on
 * the twin's attempts, not on a clock, so the window stays long enough on a loaded machine.
 */
async function whileATwinRetries(): Promise<void> {
  const b = await scriptedBroker((v, socket) => socket.write(connack(v, v === 5 ? 0x88 : 3)))
  const { link: twin } = link({ url: b.url, reconnect: { minMs: 10, maxMs: 20 } })
  const started = twin.connect().catch(() => undefined)
  try {
    await expect.poll(() => b.connections(), POLL).toBeGreaterThanOrEqual(4)
  } finally {
    await twin.close()
    await started
    await b.close()
  }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()))
  await Promise.all(peers.splice(0).map((c) => c.endAsync(true)))
})

describe.skipIf(skip)('platform link on mosquitto', () => {
  let broker: Mosquitto

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('connects, publishes QoS 1 (resolved on PUBACK) and receives what it subscribed to', async () => {
    const { link: l, states } = link({ url: broker.url })
    expect(l.security).toBe('loopback-plain')
    expect(l.insecure).toBe(false)
    await l.connect()
    expect(l.state).toBe('connected')
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected'])
    expect(states[0]).toMatchObject({ previous: 'idle', attempt: 1 })

    const { received, handler } = collector()
    const unsubscribe = l.subscribe('iot-2/type/+/id/+/evt/+/fmt/+', handler)
    await unsubscribe.ready

    const topic = eventTopic('mbed-light', 'node-001', 'notify', 'json')
    await l.publish(topic, { ep: 'node-001', path: '/3/0/1', payload: 'NTc=' })
    await l.publish(topic, 'plain text', { qos: 0 })
    await expect.poll(() => received.length, POLL).toBe(2)
    expect(JSON.parse(received[0]?.payload ?? '')).toEqual({ ep: 'node-001', path: '/3/0/1', payload: 'NTc=' })
    expect(received[1]).toEqual({ topic, payload: 'plain text' })
    expect(parseTopic(received[0]?.topic ?? '')).toEqual({ kind: 'event', type: 'mbed-light', id: 'node-001', name: 'notify', fmt: 'json' })
  })

  it('receives commands another client publishes, through commandSubscription', async () => {
    const { link: l } = link({ url: broker.url })
    await l.connect()
    const light = collector()
    const any = collector()
    const readies = [...commandSubscription(['mbed-light']).map((f) => l.subscribe(f, light.handler).ready), ...commandSubscription('+').map((f) => l.subscribe(f, any.handler).ready)]
    await Promise.all(readies)

    const app = await peer(broker.url)
    const body = JSON.stringify({ method: 'PUT', deviceId: 'node-001', resourceId: '3/0/1', payload: 'MQ==' })
    await app.publishAsync(commandTopic('mbed-light', 'node-001', 'PUT', 'json'), body, { qos: 1 })
    await app.publishAsync(commandTopic('mbed-sensor', 'node-002', 'POST', 'json'), body, { qos: 1 })

    await expect.poll(() => any.received.length, POLL).toBeGreaterThanOrEqual(2)
    await expect.poll(() => light.received.length, POLL).toBeGreaterThanOrEqual(1)
    expect(light.received.map((m) => parseTopic(m.topic))).toContainEqual({ kind: 'command', type: 'mbed-light', id: 'node-001', name: 'PUT', fmt: 'json' })
    expect(light.received.every((m) => parseTopic(m.topic)?.type === 'mbed-light')).toBe(true)
    expect(new Set(any.received.map((m) => parseTopic(m.topic)?.type))).toEqual(new Set(['mbed-light', 'mbed-sensor']))
    expect(JSON.parse(any.received[0]?.payload ?? '')).toMatchObject({ method: 'PUT', resourceId: '3/0/1' })
  })

  it('unsubscribe stops delivery to that handler only', async () => {
    const { link: l } = link({ url: broker.url })
    await l.connect()
    const a = collector()
    const b = collector()
    const unA = l.subscribe('t/x', a.handler)
    const unB = l.subscribe('t/x', b.handler)
    const marker = collector()
    const unM = l.subscribe('t/marker', marker.handler)
    await Promise.all([unA.ready, unB.ready, unM.ready])

    await l.publish('t/x', '1')
    await expect.poll(() => a.received.length + b.received.length, POLL).toBe(2)
    await unA()
    await l.publish('t/x', '2')
    await expect.poll(() => b.received.length, POLL).toBe(2)
    await unB()
    await l.publish('t/x', '3')
    // Same publisher, same connection: the broker delivers in order, so once the marker is here, '3' would be too.
    await l.publish('t/marker', 'm')
    await expect.poll(() => marker.received.length, POLL).toBe(1)
    expect(a.received.map((m) => m.payload)).toEqual(['1'])
    expect(b.received.map((m) => m.payload)).toEqual(['1', '2'])
  })

  it('a handler that throws does not stop the others', async () => {
    const { link: l } = link({ url: broker.url })
    await l.connect()
    const ok = collector()
    await l.subscribe('t/throw', () => {
      throw new Error('handler bug')
    }).ready
    await l.subscribe('t/throw', ok.handler).ready
    await l.publish('t/throw', 'a')
    await l.publish('t/throw', 'b')
    await expect.poll(() => ok.received.length, POLL).toBe(2)
    expect(l.state).toBe('connected')
  })

  it('closes gracefully: an in-flight QoS 1 publish completes, then DISCONNECT', async () => {
    const { link: l, states } = link({ url: broker.url })
    await l.connect()
    const watcher = await peer(broker.url)
    const got: string[] = []
    watcher.on('message', (_t, p) => got.push(p.toString()))
    await watcher.subscribeAsync('t/close', { qos: 1 })

    const sent = l.publish('t/close', 'last words')
    const closed = l.close()
    await expect(sent).resolves.toBeUndefined()
    await closed
    expect(l.state).toBe('stopped')
    expect(states.at(-1)).toMatchObject({ state: 'stopped', previous: 'connected' })
    await expect.poll(() => got, POLL).toEqual(['last words'])
    // mosquitto logs "Client <id> disconnected." for a DISCONNECT packet (and something else for a dropped socket).
    const clientId = `a:test:link-${process.pid}-${seq - 1}`
    await expect.poll(() => broker.log().includes(`Client ${clientId} disconnected.`), POLL).toBe(true)

    const e = await caught(l.publish('t/close', 'too late'))
    expect(e.details?.ref).toEqual({ key: 'platform.notConnected', params: { state: 'stopped' } })
  })

  it('works over MQTT 5 as well', async () => {
    const { link: l } = link({ url: broker.url, protocolVersion: 5 })
    await l.connect()
    const c = collector()
    await l.subscribe('t/v5/#', c.handler).ready
    await l.publish('t/v5/a', 'five')
    await expect.poll(() => c.received, POLL).toEqual([{ topic: 't/v5/a', payload: 'five' }])
  })
})

describe.skipIf(skip)('reconnecting to a restarted broker', () => {
  let broker: Mosquitto

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('backs off exponentially, refuses publishes while down, and resubscribes after the restart', async () => {
    // random = 1 puts every delay at the top of its step, so the sequence is exact.
    const { link: l, states } = link({ url: broker.url, reconnect: { minMs: 50, maxMs: 400 }, random: () => 1 })
    await l.connect()
    const c = collector()
    await l.subscribe(commandSubscription('+')[0] ?? '', c.handler).ready

    await broker.kill()
    await expect.poll(() => l.state, POLL).not.toBe('connected')

    const e = await caught(l.publish(eventTopic('t', 'd', 'notify', 'json'), '{}'))
    expect(e.code).toBe('NETWORK')
    expect(e.details?.ref?.key).toBe('platform.notConnected')
    expect(publishFailure(e)).toBe('not-sent')

    // Let a few attempts fail against the dead port, then bring the broker back on the same port.
    await expect.poll(() => states.filter((s) => s.state === 'reconnecting').length, POLL).toBeGreaterThanOrEqual(4)
    await broker.start()
    await expect.poll(() => l.state, POLL).toBe('connected')

    const waits = states.filter((s) => s.state === 'reconnecting')
    expect(waits.slice(0, 4).map((s) => s.retryInMs)).toEqual([50, 100, 200, 400])
    expect(waits.every((s) => s.retryInMs !== undefined && s.retryInMs <= 400)).toBe(true)
    expect(waits[0]?.reason?.code).toBe('NETWORK')
    expect(waits[0]?.reason?.details?.ref?.key).toBe('platform.connectionLost')
    expect(waits.slice(1).every((s) => s.reason?.details?.ref?.key === 'platform.connectFailed')).toBe(true)
    // Every attempt is one 'connecting' event; each failed one is followed by exactly one wait.
    const attempts = states.filter((s) => s.state === 'connecting')
    expect(attempts.length).toBe(waits.length + 1)
    expect(attempts.map((s) => s.attempt)).toEqual(attempts.map((_, i) => i + 1 + (attempts[0]?.attempt ?? 1) - 1))

    // The subscription came back with the connection: a command published now arrives.
    const app = await peer(broker.url)
    await app.publishAsync(commandTopic('mbed-light', 'node-9', 'POST', 'json'), 'after restart', { qos: 1 })
    await expect.poll(() => c.received.map((m) => m.payload), POLL).toEqual(['after restart'])
    await l.publish(eventTopic('t', 'd', 'notify', 'json'), '{}')
  })

  it('rejects a QoS 1 publish in flight when the connection drops', async () => {
    const { link: l } = link({ url: broker.url })
    await l.connect()
    // A large burst makes it likely that some are still unacknowledged when the broker dies; each one must
    // settle either way, and the rejected ones say the outcome is unknown.
    const sends = Array.from({ length: 2000 }, (_, i) =>
      l.publish('t/burst', `m${i}`).then(
        () => 'ok' as const,
        (err: unknown) => err,
      ),
    )
    await broker.kill()
    const results = await Promise.all(sends)
    const failures = results.filter((r) => r !== 'ok')
    for (const f of failures) {
      expect(f).toBeInstanceOf(AppError)
      expect(['maybe-delivered', 'not-sent']).toContain(publishFailure(f))
    }
    await broker.start()
    await expect.poll(() => l.state, POLL).toBe('connected')
  })
})

describe.skipIf(skip)('bad credentials', () => {
  let broker: Mosquitto
  const auth = { username: 'a-test-key', password: 'right-token' }

  beforeAll(async () => {
    broker = await startMosquitto({ auth })
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it.each([4, 5] as const)('fail with AUTH_FAILED and no retry storm (MQTT protocol %i)', async (protocolVersion) => {
    const before = connectionLines(broker)
    const { link: l, states } = link({ url: broker.url, username: auth.username, password: 'wrong-token', protocolVersion, reconnect: { minMs: 10, maxMs: 20 } })
    const e = await caught(l.connect())
    expect(e.code).toBe('AUTH_FAILED')
    expect(e.details?.ref?.key).toBe('platform.authFailed')
    expect(e.message).not.toContain('wrong-token')
    expect(l.state).toBe('failed')
    expect(l.lastError?.code).toBe('AUTH_FAILED')

    await whileATwinRetries()
    expect(states.map((s) => s.state)).toEqual(['connecting', 'failed'])
    expect(connectionLines(broker) - before).toBe(1)
  })

  it('connects with the right password', async () => {
    const { link: l } = link({ url: broker.url, ...auth })
    await l.connect()
    expect(l.state).toBe('connected')
  })
})

describe.skipIf(skip)('TLS and WebSocket listeners', () => {
  let broker: Mosquitto
  let cert: string

  beforeAll(async () => {
    const pair = await selfSignedCert()
    if (!pair) throw new Error('openssl is needed to make the test certificate')
    cert = pair.cert
    broker = await startMosquitto({ tls: pair, websockets: true })
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('mqtts:// with the broker CA added connects and carries messages', async () => {
    const { link: l } = link({ url: broker.tlsUrl ?? '', ca: [cert] })
    expect(l.security).toBe('tls')
    await l.connect()
    const c = collector()
    await l.subscribe('t/tls', c.handler).ready
    await l.publish('t/tls', 'secret')
    await expect.poll(() => c.received, POLL).toEqual([{ topic: 't/tls', payload: 'secret' }])
  })

  it('mqtts:// without the CA fails with TLS and does not retry', async () => {
    const before = connectionLines(broker)
    const { link: l, states } = link({ url: broker.tlsUrl ?? '', reconnect: { minMs: 10, maxMs: 20 } })
    const e = await caught(l.connect())
    expect(e.code).toBe('TLS')
    expect(e.details?.ref?.key).toBe('platform.tlsFailed')
    await whileATwinRetries()
    expect(states.map((s) => s.state)).toEqual(['connecting', 'failed'])
    expect(connectionLines(broker) - before).toBeLessThanOrEqual(1)
  })

  it('ws:// works and counts as loopback-plain here', async () => {
    const { link: l } = link({ url: broker.wsUrl ?? '' })
    expect(l.security).toBe('loopback-plain')
    await l.connect()
    const c = collector()
    await l.subscribe('t/ws', c.handler).ready
    await l.publish('t/ws', 'over websocket')
    await expect.poll(() => c.received, POLL).toEqual([{ topic: 't/ws', payload: 'over websocket' }])
  })
})

/**
 * A scripted broker speaking just enough MQTT (CONNACK, DISCONNECT) to produce refusals mosquitto 2.0.11 does
 * not send: it answers CONNACK 5/0x87/0x8A/… on demand, and closes a taken-over session with a bare socket close
 * instead of DISCONNECT 0x8E.
 */
interface Scripted {
  url: string
  connections(): number
  close(): Promise<void>
}

async function scriptedBroker(reply: (protocolVersion: number, socket: Socket) => void): Promise<Scripted> {
  let count = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    count += 1
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.once('data', (buf) => {
      // CONNECT: fixed header, remaining length (1–4 bytes), protocol name (length-prefixed), protocol level.
      let i = 1
      while ((buf[i] ?? 0) & 0x80) i += 1
      i += 1
      const nameLength = buf.readUInt16BE(i)
      reply(buf[i + 2 + nameLength] ?? 4, socket)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

const connack = (protocolVersion: number, code: number) => Buffer.from(protocolVersion === 5 ? [0x20, 0x03, 0x00, code, 0x00] : [0x20, 0x02, 0x00, code])

describe('refusals and server disconnects (scripted broker)', () => {
  const brokers: Scripted[] = []
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()))
  })

  it.each([
    [4, 4, 'AUTH_FAILED', 'platform.authFailed'],
    [4, 5, 'AUTH_FAILED', 'platform.authFailed'],
    [5, 0x86, 'AUTH_FAILED', 'platform.authFailed'],
    [5, 0x87, 'AUTH_FAILED', 'platform.authFailed'],
    [5, 0x8c, 'AUTH_FAILED', 'platform.authFailed'],
    [4, 2, 'VALIDATION', 'platform.clientIdRejected'],
    [5, 0x85, 'VALIDATION', 'platform.clientIdRejected'],
    [4, 1, 'VALIDATION', 'platform.protocolRejected'],
    [5, 0x8a, 'FORBIDDEN', 'platform.banned'],
  ] as const)('MQTT %i CONNACK code %i fails with %s after one attempt', async (protocolVersion, code, errorCode, key) => {
    const b = await scriptedBroker((v, socket) => socket.write(connack(v, code)))
    brokers.push(b)
    const { link: l, states } = link({ url: b.url, protocolVersion, reconnect: { minMs: 10, maxMs: 20 } })
    const e = await caught(l.connect())
    expect(e.code).toBe(errorCode)
    expect(e.details?.ref?.key).toBe(key)
    await whileATwinRetries()
    expect(states.map((s) => s.state)).toEqual(['connecting', 'failed'])
    expect(b.connections()).toBe(1)
  })

  it.each([
    [4, 3],
    [5, 0x88],
    [5, 0x89],
    [5, 0x9f],
  ] as const)('MQTT %i CONNACK code %i (server unavailable / busy / rate) is retried with backoff', async (protocolVersion, code) => {
    const b = await scriptedBroker((v, socket) => socket.write(connack(v, code)))
    brokers.push(b)
    const { link: l, states } = link({ url: b.url, protocolVersion, reconnect: { minMs: 10, maxMs: 40 }, random: () => 1 })
    const started = l.connect()
    await expect.poll(() => b.connections(), POLL).toBeGreaterThanOrEqual(4)
    await l.close()
    await expect(started).rejects.toMatchObject({ details: { ref: { key: 'platform.stopped' } } })
    const waits = states.filter((s) => s.state === 'reconnecting')
    expect(waits.slice(0, 3).map((s) => s.retryInMs)).toEqual([10, 20, 40])
    expect(waits[0]?.reason?.code).toBe(code === 0x9f ? 'RATE_LIMITED' : 'NETWORK')
  })

  it('MQTT 5 DISCONNECT "session taken over" fails with CONFLICT instead of fighting for the client id', async () => {
    const b = await scriptedBroker((v, socket) => {
      socket.write(connack(v, 0))
      socket.end(Buffer.from([0xe0, 0x02, 0x8e, 0x00]))
    })
    brokers.push(b)
    const { link: l, states } = link({ url: b.url, protocolVersion: 5, reconnect: { minMs: 10, maxMs: 20 } })
    await l.connect()
    await expect.poll(() => l.state, POLL).toBe('failed')
    expect(l.lastError?.code).toBe('CONFLICT')
    expect(states.at(-1)?.reason?.details?.ref?.key).toBe('platform.sessionTakenOver')
    await whileATwinRetries()
    expect(b.connections()).toBe(1)
  })

  it('MQTT 5 DISCONNECT "server shutting down" is retried', async () => {
    const b = await scriptedBroker((v, socket) => {
      socket.write(connack(v, 0))
      socket.end(Buffer.from([0xe0, 0x02, 0x8b, 0x00]))
    })
    brokers.push(b)
    const { link: l } = link({ url: b.url, protocolVersion: 5, reconnect: { minMs: 10, maxMs: 20 } })
    await l.connect()
    await expect.poll(() => b.connections(), POLL).toBeGreaterThanOrEqual(3)
    expect(l.state).not.toBe('failed')
  })

  it.each([false, true])('a QoS 1 message that arrives while the link closes reaches no subscriber and is not acknowledged (coalesceAcks %s)', async (coalesceAcks) => {
    // close() waits for the link's own QoS 1 publish to be acknowledged; meanwhile the broker sends a message (PUBLISH
    // QoS 1, packet id 7, topic t/x, payload "hi"), which reaches the client after the link stopped dispatching.
    const inbound = Buffer.from([0x32, 0x09, 0x00, 0x03, 0x74, 0x2f, 0x78, 0x00, 0x07, 0x68, 0x69])
    const ackOfInbound = Buffer.from([0x40, 0x02, 0x00, 0x07])
    let brokerSide: Socket | undefined
    const fromClient: Buffer[] = []
    const b = await scriptedBroker((v, socket) => {
      brokerSide = socket
      socket.on('data', (chunk) => fromClient.push(chunk))
      socket.write(connack(v, 0))
    })
    brokers.push(b)
    const { link: l } = link({ url: b.url, coalesceAcks, closeTimeoutMs: 60_000 })
    await l.connect()
    const sentByClient = (): Buffer => Buffer.concat(fromClient)
    const published = l.publish('t/y', 'z').catch((e: unknown) => e)
    await expect.poll(() => sentByClient()[0], POLL).toBe(0x32)
    const ownId = sentByClient().readUInt16BE(2 + 2 + 3)
    const closed = l.close()
    brokerSide!.write(inbound)
    const settled = (): boolean => sentByClient().includes(ackOfInbound) || brokerSide!.destroyed || brokerSide!.readableEnded
    await expect.poll(settled, POLL).toBe(true)
    if (!brokerSide!.destroyed && brokerSide!.writable) brokerSide!.write(Buffer.from([0x40, 0x02, ownId >> 8, ownId & 0xff]))
    await closed
    await published
    expect(sentByClient().includes(ackOfInbound)).toBe(false)
  })

  it('a connection refused at TCP level keeps retrying (the broker may come up later)', async () => {
    const b = await scriptedBroker(() => {})
    const url = b.url
    await b.close()
    const { link: l, states } = link({ url, reconnect: { minMs: 10, maxMs: 20 } })
    const started = l.connect()
    await expect.poll(() => states.filter((s) => s.state === 'reconnecting').length, POLL).toBeGreaterThanOrEqual(3)
    expect(states.find((s) => s.state === 'reconnecting')?.reason?.details?.ref?.key).toBe('platform.connectFailed')
    await l.close()
    await expect(started).rejects.toMatchObject({ code: 'NETWORK' })
  })
})
