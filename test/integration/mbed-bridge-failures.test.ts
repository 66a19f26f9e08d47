/**
 * The mbed bridge meeting each bad thing at run time, against the mbed peer and a real mosquitto: the broker killed
 * and started again, the Connector answering 5xx for a while, the Connector refusing the key (401), and an unexpected
 * error in the notification channel's loop. Each time: what the state says (stopped or degraded, since when, why,
 * whether and when it tries again by itself) and that nothing the bridge took in is lost — the publish queue and the
 * commands awaiting their answers survive.
 *
 * No timed assertions: tests wait for states, counts and messages with expect.poll.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createNotificationChannel } from '../../src-main/core/mbed/channel'
import { FAST, POLL, b64, cleanups, command, endpoint, runCleanups, setup, subscriber } from '../helpers/mbed-bridge'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()
afterEach(runCleanups)

/** A TCP door in front of a broker: shut, it cuts the open connections and refuses new ones (the broker seems gone). */
async function door(port: number): Promise<{ url: string; open(): void; shut(): void }> {
  let isOpen = true
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    socket.on('error', () => {})
    if (!isOpen) return void socket.destroy()
    const upstream = netConnect(port, '127.0.0.1')
    upstream.on('error', () => {})
    sockets.add(socket).add(upstream)
    const end = (): void => {
      for (const s of [socket, upstream]) {
        s.destroy()
        sockets.delete(s)
      }
    }
    socket.on('close', end)
    upstream.on('close', end)
    socket.pipe(upstream)
    upstream.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        isOpen = false
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  const address = server.address()
  return {
    url: `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    open: () => void (isOpen = true),
    shut: () => {
      isOpen = false
      for (const s of sockets) s.destroy()
    },
  }
}

const payloads = (received: { body: Record<string, unknown> }[]): string[] => received.map((r) => Buffer.from(String(r.body.payload), 'base64').toString())

describe.skipIf(skip)('mbed bridge failures at run time', () => {
  it('broker killed: degraded with the broker’s reason, then running once it is back; no notification and no answer lost', async () => {
    const broker: Mosquitto = await startMosquitto()
    cleanups.push(() => broker.stop())
    const gate = await door(broker.port)
    const { peer, bridge, events } = await setup(gate.url, { peer: { deviceTimeoutMs: 60_000 } })
    const sensor = endpoint(peer, 'Sensor')
    const light = endpoint(peer, 'Light')
    // The sensor keeps the first command unanswered (a device works on one request at a time, §1.3); the light answers.
    peer.setCommandBehaviour((cmd) => (cmd.ep === light.name ? { status: 200, payload: 'done', ct: 'text/plain' } : 'no-response'))
    await bridge.sendCommand({ method: 'PUT', deviceId: sensor.name, resourceId: '3303/0/5700', payload: b64('1') })
    await expect.poll(() => bridge.pendingCommands().length, POLL).toBe(1)

    gate.shut()
    await broker.kill()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    expect(bridge.status()).toMatchObject({ reason: { code: 'NETWORK' }, failedSide: null, restartAt: null })
    // Each back-off step of the link says when it tries the broker again, as the channel's do for mbed.
    const linkTries = () => events.flatMap((e) => (e.name === 'mbed:state' && e.payload.state === 'degraded' && e.payload.link.retryAt !== null ? [e.payload.link.retryAt] : []))
    await expect.poll(() => linkTries().length, POLL).toBeGreaterThanOrEqual(2)
    expect(new Set(linkTries()).size).toBe(linkTries().length)
    for (let i = 0; i < 10; i++) peer.notify(sensor.name, '/3303/0/5700', `away-${i}`)
    // A command answered while the broker is away: its asyncResponse waits in the queue with the notifications.
    await bridge.sendCommand({ method: 'PUT', deviceId: light.name, resourceId: '3311/0/5850', payload: b64('1') })
    await expect.poll(() => bridge.counters(), POLL).toMatchObject({ notifications: 10, queued: 11, published: 0, dropped: 0 })
    // The first command is still awaited: nothing expired it while the broker was away.
    expect(bridge.pendingCommands().map((c) => c.state)).toEqual(['pending'])

    await broker.start()
    const sub = await subscriber(broker.url)
    gate.open()
    await expect.poll(() => bridge.state, POLL).toBe('running')
    expect(bridge.status().link).toMatchObject({ state: 'connected', retryAt: null })
    await expect.poll(() => payloads(sub.of('notify')), POLL).toEqual(Array.from({ length: 10 }, (_, i) => `away-${i}`))
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
    // The subscriber can see a message before the bridge has the broker's PUBACK for it.
    await expect.poll(() => bridge.counters(), POLL).toMatchObject({ dropped: 0, queued: 0, published: 11 })
    expect(bridge.pendingCommands()).toHaveLength(1)
  })

  it('Connector 5xx, then recovered: degraded with the next try, then running; the notifications of the outage all arrive', async () => {
    const broker = await startMosquitto()
    cleanups.push(() => broker.stop())
    const sub = await subscriber(broker.url)
    const { peer, bridge, events } = await setup(broker.url)
    const sensor = endpoint(peer, 'Sensor')
    peer.faults.set({ kind: 'status', status: 503, path: /notification\/pull/, times: 3 })
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    const degraded = events.flatMap((e) => (e.name === 'mbed:state' && e.payload.state === 'degraded' ? [e.payload] : []))
    expect(degraded[0]).toMatchObject({ reason: { code: 'CARRIER', details: { retrying: true } }, failedSide: null, restartAt: null })
    expect(degraded[0]?.channel.retryAt).not.toBeNull()
    // mbed keeps what its devices send while the channel is away (§1.5): it comes with the next poll.
    for (let i = 0; i < 10; i++) peer.notify(sensor.name, '/3303/0/5700', `outage-${i}`)
    await expect.poll(() => bridge.state, POLL).toBe('running')
    await expect.poll(() => payloads(sub.of('notify')), POLL).toEqual(Array.from({ length: 10 }, (_, i) => `outage-${i}`))
    expect(bridge.status()).toMatchObject({ reason: null, restartAt: null, channel: { state: 'open', retryAt: null } })
  })

  it('Connector 401 at run time: failed for good with the reason and what to do; the queue and the awaited commands are kept', async () => {
    const broker = await startMosquitto()
    cleanups.push(() => broker.stop())
    const gate = await door(broker.port)
    const { peer, bridge } = await setup(gate.url, { peer: { deviceTimeoutMs: 60_000 } })
    const sensor = endpoint(peer, 'Sensor')
    peer.setCommandBehaviour(() => 'no-response')
    await bridge.sendCommand({ method: 'PUT', deviceId: sensor.name, resourceId: '3303/0/5700', payload: b64('1') })
    gate.shut()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    for (let i = 0; i < 5; i++) peer.notify(sensor.name, '/3303/0/5700', `kept-${i}`)
    await expect.poll(() => bridge.counters().queued, POLL).toBe(5)

    peer.faults.set({ kind: 'status', status: 401, path: /notification\/pull/ })
    await expect.poll(() => bridge.state, POLL).toBe('failed')
    const status = bridge.status()
    expect(status).toMatchObject({ failedSide: 'mbed', restartAt: null, reason: { code: 'AUTH_FAILED', details: { ref: { key: 'mbed.authFailed' } } } })
    expect(Number.isNaN(Date.parse(status.since))).toBe(false)
    // Failed, not forgotten: the command is still awaited and the queue still holds the notifications.
    expect(bridge.pendingCommands().map((c) => c.state)).toEqual(['pending'])
    expect(bridge.counters().queued).toBe(5)

    const sub = await subscriber(broker.url)
    gate.open()
    await expect.poll(() => payloads(sub.of('notify')), POLL).toEqual(Array.from({ length: 5 }, (_, i) => `kept-${i}`))
    // A refusal that cannot heal is not retried: the bridge stays failed until the operator starts it again.
    expect(bridge.status()).toMatchObject({ state: 'failed', restartAt: null })
  })

  it('an unexpected error in the channel’s loop: failed, says when it starts again, and does so by itself losing nothing', async () => {
    const broker = await startMosquitto()
    cleanups.push(() => broker.stop())
    const sub = await subscriber(broker.url)
    let crash = false
    const { peer, bridge, events } = await setup(broker.url, {
      peer: { deviceTimeoutMs: 60_000 },
      bridge: { restart: { minMs: 200, maxMs: 400 } },
      channel: (client) => (onEnvelope, ready) =>
        createNotificationChannel({
          client,
          onEnvelope,
          reconnect: FAST,
          stopTimeoutMs: 2_000,
          // The bridge's back-pressure gate is consulted outside the poll's own error handling: a bug there ends the loop.
          ready: () => {
            if (crash) {
              crash = false
              throw new TypeError('gate exploded')
            }
            return ready()
          },
        }),
    })
    const sensor = endpoint(peer, 'Sensor')
    peer.setCommandBehaviour(() => 'no-response')
    await bridge.sendCommand({ method: 'PUT', deviceId: sensor.name, resourceId: '3303/0/5700', payload: b64('1') })
    peer.notify(sensor.name, '/3303/0/5700', 'before')
    await expect.poll(() => payloads(sub.of('notify')), POLL).toEqual(['before'])

    crash = true
    const failed = () => events.flatMap((e) => (e.name === 'mbed:state' && e.payload.state === 'failed' ? [e.payload] : []))
    await expect.poll(() => failed().length, POLL).toBe(1)
    const stopped = failed()[0]
    expect(stopped).toMatchObject({ failedSide: 'mbed', reason: { code: 'INTERNAL', details: { ref: { key: 'mbed.channelCrashed', params: { reason: 'gate exploded' } } } } })
    expect(Date.parse(stopped?.restartAt ?? '')).toBeGreaterThanOrEqual(Date.parse(stopped?.since ?? ''))
    for (let i = 0; i < 5; i++) peer.notify(sensor.name, '/3303/0/5700', `after-${i}`)

    await expect.poll(() => bridge.state, POLL).toBe('running')
    expect(bridge.status().restartAt).toBeNull()
    await expect.poll(() => payloads(sub.of('notify')), POLL).toEqual(['before', ...Array.from({ length: 5 }, (_, i) => `after-${i}`)])
    expect(bridge.pendingCommands().map((c) => c.state)).toEqual(['pending'])
    // Commands from MQTT are taken again (by a light: the sensor still works on the first one, §1.3).
    const light = endpoint(peer, 'Light')
    peer.setCommandBehaviour(null)
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5850', payload: b64('2') })
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
    expect(bridge.counters()).toMatchObject({ dropped: 0 })
  })
})
