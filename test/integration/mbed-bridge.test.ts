/**
 * The mbed bridge end to end: the mbed peer (test/peers/mbed) → bridge → a real mosquitto (test/helpers/mosquitto) →
 * an MQTT subscriber, and commands the other way (subscriber publishes → bridge → peer → async response → event).
 * Also every invalid command form, broker outages with recovery, the bounded queue, the endpoint import.
 *
 * No timed assertions: tests wait for states, counts and messages with expect.poll.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { mbedEvents } from '../../src-shared/models/mbed'
import { importEndpoints } from '../../src-main/core/mbed/import'
import { listAudit } from '../../src-main/core/store/audit.store'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'
import { POLL, allSubscribed, b64, cleanups, command, endpoint, runCleanups, setup, subscriber } from '../helpers/mbed-bridge'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'

const skip = mosquittoSkipReason()
afterEach(runCleanups)

/** A TCP gate in front of a broker: closed, it refuses connections and cuts the open ones (the broker seems down). */
async function gate(port: number): Promise<{ url: string; open(): void; shut(): void; close(): Promise<void> }> {
  let isOpen = true
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    socket.on('error', () => {})
    if (!isOpen) {
      socket.destroy()
      return
    }
    const upstream = netConnect(port, '127.0.0.1')
    upstream.on('error', () => {})
    sockets.add(socket)
    sockets.add(upstream)
    const end = (): void => {
      socket.destroy()
      upstream.destroy()
      sockets.delete(socket)
      sockets.delete(upstream)
    }
    socket.on('close', end)
    upstream.on('close', end)
    socket.pipe(upstream)
    upstream.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const listenPort = typeof address === 'object' && address ? address.port : 0
  return {
    url: `mqtt://127.0.0.1:${listenPort}`,
    open: () => {
      isOpen = true
    },
    shut: () => {
      isOpen = false
      for (const s of sockets) s.destroy()
    },
    close: () =>
      new Promise<void>((resolve) => {
        isOpen = false
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

describe.skipIf(skip)('mbed bridge', () => {
  let broker: Mosquitto

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterAll(async () => {
    await broker?.stop()
  })

  it('publishes notifications as evt/notify under the endpoint type and id, {ep, path, ct, payload, max-age}', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    const sensor = endpoint(peer, 'Sensor')
    peer.notify(light.name, '/3311/0/5850', '1', { maxAge: 30 })
    peer.notify(sensor.name, '/3303/0/5700', '21.5', { ct: 'text/plain', maxAge: 60 })
    await expect.poll(() => sub.of('notify').length, POLL).toBe(2)
    const [a, b] = sub.of('notify')
    expect(a?.topic).toBe(`iot-2/type/Light/id/${light.name}/evt/notify/fmt/json`)
    expect(a?.body).toEqual({ ep: light.name, path: '/3311/0/5850', ct: 'text/plain', payload: b64('1'), 'max-age': 30 })
    expect(b?.topic).toBe(`iot-2/type/Sensor/id/${sensor.name}/evt/notify/fmt/json`)
    expect(b?.body).toEqual({ ep: sensor.name, path: '/3303/0/5700', ct: 'text/plain', payload: b64('21.5'), 'max-age': 60 })
    // The subscriber can see a message before the bridge has the broker's PUBACK for it.
    await expect.poll(() => bridge.counters(), POLL).toMatchObject({ notifications: 2, published: 2, dropped: 0, queued: 0, malformed: 0 })
  })

  it('a 7.5 MB notification payload is counted as malformed and skipped; the bridge keeps running (issue 10)', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const sensor = endpoint(peer, 'Sensor')
    peer.notify(sensor.name, '/3303/0/5700', Buffer.alloc(5_625_000, 0x41))
    await expect.poll(() => bridge.counters().malformed, POLL).toBe(1)
    peer.notify(sensor.name, '/3303/0/5700', 'after the big one')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toEqual([b64('after the big one')])
    expect(bridge.state).toBe('running')
    expect(bridge.status().channel.state).toBe('open')
  })

  it('learns types from registrations; unknown or invalid types fall back to the default device type', async () => {
    const sub = await subscriber(broker.url)
    const { peer } = await setup(broker.url, { bridge: { defaultDeviceType: 'mbed-ep' } })
    peer.register({ name: 'late-thermo-1', type: 'Thermo' })
    peer.register({ name: 'odd-type-1', type: 'Type with spaces' })
    await allSubscribed(peer)
    peer.notify('late-thermo-1', '/3303/0/5700', '19')
    peer.notify('odd-type-1', '/3303/0/5700', '20')
    await expect.poll(() => sub.of('notify').map((r) => r.topic), POLL).toEqual(['iot-2/type/Thermo/id/late-thermo-1/evt/notify/fmt/json', 'iot-2/type/mbed-ep/id/odd-type-1/evt/notify/fmt/json'])
  })

  it('counts notifications from endpoints whose name cannot be a device id, and publishes nothing for them', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    peer.register({ name: 'a-name-that-is-longer-than-thirty-six-characters', type: 'Sensor' })
    await allSubscribed(peer)
    peer.notify('a-name-that-is-longer-than-thirty-six-characters', '/3303/0/5700', '1')
    peer.notify(endpoint(peer, 'Sensor').name, '/3303/0/5700', '2')
    await expect.poll(() => bridge.counters().unroutable, POLL).toBe(1)
    await expect.poll(() => sub.of('notify').length, POLL).toBe(1)
  })

  it('forwards a command (Connector: PUT/POST /v2/endpoints/…) and publishes its async response with the command’s ep and path', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3311/0/5851', payload: b64('75') })
    await command(sub.client, 'Light', light.name, { method: 'POST', deviceId: light.name, resourceId: '3/0/4' }, 'reboot')
    await expect.poll(() => peer.commands().length, POLL).toBe(2)
    const [put, post] = peer.commands()
    expect(put).toMatchObject({ method: 'PUT', ep: light.name, path: '/3311/0/5851', form: 'resource' })
    expect(put?.body.toString()).toBe('75')
    expect(post).toMatchObject({ method: 'POST', ep: light.name, path: '/3/0/4', form: 'resource' })
    expect(post?.body.length).toBe(0)

    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(2)
    const responses = sub.of('asyncResponse')
    expect(responses[0]?.topic).toBe(`iot-2/type/Light/id/${light.name}/evt/asyncResponse/fmt/json`)
    expect(responses[0]?.body).toMatchObject({ id: put?.asyncId, status: 200, ep: light.name, path: '/3311/0/5851', payload: '' })
    expect(responses[1]?.body).toMatchObject({ id: post?.asyncId, status: 200, ep: light.name, path: '/3/0/4' })
    expect(typeof responses[0]?.body['max-age']).toBe('number')
    expect(bridge.counters()).toMatchObject({ commands: 2, commandErrors: 0, asyncResponses: 2, pendingCommands: 0 })
    expect(bridge.commands().map((c) => c.state)).toEqual(['answered', 'answered'])
  })

  it('Pelion: commands go out as device-requests with the bridge’s async id; notifications come over the WebSocket', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url, { flavour: 'pelion' })
    const sensor = endpoint(peer, 'Sensor')
    peer.setCommandBehaviour((cmd) => ({ status: 200, payload: `ack:${cmd.body.toString()}`, ct: 'text/plain' }))
    await command(sub.client, 'Sensor', sensor.name, { method: 'PUT', deviceId: sensor.name, resourceId: '3303/0/5700', payload: b64('22') })
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
    const [cmd] = peer.commands()
    expect(cmd).toMatchObject({ method: 'PUT', ep: sensor.name, path: '/3303/0/5700', form: 'device-request' })
    expect(cmd?.body.toString()).toBe('22')
    expect(sub.of('asyncResponse')[0]?.body).toMatchObject({ id: cmd?.asyncId, status: 200, ep: sensor.name, path: '/3303/0/5700', payload: b64('ack:22'), ct: 'text/plain' })
    expect(bridge.commands()[0]).toMatchObject({ asyncId: cmd?.asyncId, state: 'answered', status: 200, response: { payload: b64('ack:22') } })

    peer.notify(sensor.name, '/3303/0/5700', '23')
    await expect.poll(() => sub.of('notify').length, POLL).toBe(1)
    expect(bridge.status().channel).toEqual({ kind: 'websocket', state: 'open', retryAt: null })
  })

  it('refuses every invalid command form with a bridgeError event and forwards none of them', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    const ok = { method: 'PUT', deviceId: light.name, resourceId: '3/0/1', payload: b64('1') }
    const forms: [string, unknown, string?][] = [
      ['invalidMethod', { ...ok, method: 'put' }],
      ['invalidMethod', { ...ok, method: 'GET' }],
      ['invalidResourceId', { ...ok, resourceId: '/3/0/1' }],
      ['invalidPayload', { ...ok, payload: 'not base64!' }],
      ['missingField', { deviceId: light.name, resourceId: '3/0/1', payload: b64('1') }],
      ['missingField', { method: 'PUT', resourceId: '3/0/1', payload: b64('1') }],
      ['missingField', { method: 'PUT', deviceId: light.name, payload: b64('1') }],
      ['missingField', { method: 'PUT', deviceId: light.name, resourceId: '3/0/1' }],
      ['notJson', 'PUT 3/0/1 please'],
      ['notObject', '[1,2,3]'],
      ['tooLarge', { ...ok, payload: b64('x'.repeat(120_000)) }],
      ['deviceIdMismatch', { ...ok, deviceId: 'someone-else' }],
      ['typeMismatch', ok, 'Sensor'],
    ]
    for (const [, body, type] of forms) await command(sub.client, type ?? 'Light', light.name, body)
    // A valid command after them: once it reached the peer, every earlier one has been handled.
    await command(sub.client, 'Light', light.name, { ...ok, payload: b64('sentinel') })
    await expect.poll(() => peer.commands().length, POLL).toBe(1)
    expect(peer.commands()[0]?.body.toString()).toBe('sentinel')

    await expect.poll(() => sub.of('bridgeError').length, POLL).toBe(forms.length)
    const errors = sub.of('bridgeError')
    expect(errors.map((e) => e.body.reason)).toEqual(forms.map(([reason]) => reason))
    for (const [i, e] of errors.entries()) {
      const type = forms[i]?.[2] ?? 'Light'
      expect(e.topic).toBe(`iot-2/type/${type}/id/${light.name}/evt/bridgeError/fmt/json`)
      expect(e.body).toMatchObject({ command: 'update', topic: `iot-2/type/${type}/id/${light.name}/cmd/update/fmt/json` })
      expect(typeof e.body.message).toBe('string')
    }
    expect(errors[0]?.body.message).toContain('case-sensitive')
    expect(bridge.counters()).toMatchObject({ commands: 1, commandErrors: forms.length })
  })

  it('reports a command mbed refuses (unknown endpoint) as bridgeError requestFailed', async () => {
    const sub = await subscriber(broker.url)
    const { bridge } = await setup(broker.url)
    await command(sub.client, 'mbed', 'ghost-endpoint', { method: 'PUT', deviceId: 'ghost-endpoint', resourceId: '3/0/1', payload: b64('1') })
    await expect.poll(() => sub.of('bridgeError').length, POLL).toBe(1)
    expect(sub.of('bridgeError')[0]).toMatchObject({
      topic: 'iot-2/type/mbed/id/ghost-endpoint/evt/bridgeError/fmt/json',
      body: { reason: 'requestFailed', code: 'NOT_FOUND', status: 410, method: 'PUT', path: '/3/0/1' },
    })
    expect(bridge.commands()[0]).toMatchObject({ state: 'failed', status: 410 })
    expect(bridge.counters().commandErrors).toBe(1)
  })

  it('publishes a device timeout (async status 504) and keeps pending commands inspectable meanwhile', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url, { peer: { deviceTimeoutMs: 400 } })
    peer.setCommandBehaviour(() => 'no-response')
    const light = endpoint(peer, 'Light')
    await command(sub.client, 'Light', light.name, { method: 'PUT', deviceId: light.name, resourceId: '3/0/1', payload: b64('1') })
    await expect.poll(() => bridge.pendingCommands().length, POLL).toBe(1)
    expect(bridge.pendingCommands()[0]).toMatchObject({ ep: light.name, path: '/3/0/1', method: 'PUT', state: 'pending', source: 'mqtt', deviceType: 'Light' })
    expect(bridge.pendingCommands()[0]?.asyncId).toBe(peer.commands()[0]?.asyncId)
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
    expect(sub.of('asyncResponse')[0]?.body).toMatchObject({ status: 504, error: 'TIMEOUT', ep: light.name, path: '/3/0/1' })
    expect(bridge.pendingCommands()).toEqual([])
    expect(bridge.commands()[0]).toMatchObject({ state: 'answered', status: 504, error: 'TIMEOUT' })
  })

  it('sends the console’s commands through the same checks and path', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const sensor = endpoint(peer, 'Sensor')
    const sent = await bridge.sendCommand({ method: 'PUT', deviceId: sensor.name, resourceId: '3303/0/5700', payload: b64('7') })
    expect(sent).toMatchObject({ source: 'console', ep: sensor.name, path: '/3303/0/5700', deviceType: 'Sensor' })
    await expect.poll(() => sub.of('asyncResponse').length, POLL).toBe(1)
    expect(sub.of('asyncResponse')[0]?.topic).toBe(`iot-2/type/Sensor/id/${sensor.name}/evt/asyncResponse/fmt/json`)
    const refused = await bridge.sendCommand({ method: 'PUT', deviceId: sensor.name, resourceId: '/3303/0/5700', payload: b64('7') }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AppError)
    expect((refused as AppError).details?.ref?.key).toBe('mbed.command.invalidResourceId')
  })

  it('queues notifications while the broker is down and delivers them in order after mosquitto restarts', async () => {
    const own = await startMosquitto()
    cleanups.push(() => own.stop())
    const door = await gate(own.port)
    cleanups.push(() => door.close())
    const { peer, bridge } = await setup(door.url)
    const sensor = endpoint(peer, 'Sensor')

    door.shut()
    await own.kill()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    expect(bridge.reason?.code).toBe('NETWORK')
    for (let i = 0; i < 25; i++) peer.notify(sensor.name, '/3303/0/5700', `reading-${i}`)
    await expect.poll(() => bridge.counters().notifications, POLL).toBe(25)
    expect(bridge.counters()).toMatchObject({ queued: 25, published: 0, dropped: 0 })

    await own.start()
    const sub = await subscriber(own.url)
    door.open()
    await expect.poll(() => sub.of('notify').length, POLL).toBe(25)
    expect(sub.of('notify').map((r) => Buffer.from(String(r.body.payload), 'base64').toString())).toEqual(Array.from({ length: 25 }, (_, i) => `reading-${i}`))
    await expect.poll(() => bridge.state, POLL).toBe('running')
    await expect.poll(() => bridge.counters(), POLL).toMatchObject({ queued: 0, published: 25, dropped: 0 })
  })

  it('bounds the queue: with the broker away, N > size notifications drop the oldest N − size, counted', async () => {
    const door = await gate(broker.port)
    cleanups.push(() => door.close())
    const { peer, bridge } = await setup(door.url, { bridge: { queueSize: 5 } })
    const sensor = endpoint(peer, 'Sensor')
    door.shut()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    for (let i = 0; i < 12; i++) peer.notify(sensor.name, '/3303/0/5700', `n-${i}`)
    await expect.poll(() => bridge.counters().notifications, POLL).toBe(12)
    expect(bridge.counters()).toMatchObject({ dropped: 7, queued: 5 })

    const sub = await subscriber(broker.url)
    door.open()
    await expect.poll(() => sub.of('notify').length, POLL).toBe(5)
    expect(sub.of('notify').map((r) => Buffer.from(String(r.body.payload), 'base64').toString())).toEqual(['n-7', 'n-8', 'n-9', 'n-10', 'n-11'])
    await expect.poll(() => bridge.counters(), POLL).toMatchObject({ dropped: 7, queued: 0, published: 5 })
  })

  it('stop() is graceful: what mbed handed over is published before it resolves', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    const light = endpoint(peer, 'Light')
    for (let i = 0; i < 200; i++) peer.notify(light.name, '/3311/0/5850', String(i))
    await expect.poll(() => bridge.counters().notifications, POLL).toBeGreaterThan(0)
    const report = await bridge.stop()
    expect(bridge.state).toBe('stopped')
    expect(report.undelivered).toBe(0)
    expect(report.published).toBe(bridge.counters().notifications)
    await expect.poll(() => sub.of('notify').length, POLL).toBe(report.published)
  })

  it('a 401 from the channel fails the bridge with AUTH_FAILED; a bad key fails start()', async () => {
    const { peer, bridge } = await setup(broker.url)
    peer.faults.set({ kind: 'status', status: 401, path: /notification\/pull/ })
    await expect.poll(() => bridge.state, POLL).toBe('failed')
    expect(bridge.reason?.code).toBe('AUTH_FAILED')
    // The failed bridge stops its channel, whose own state then reads "Stopped": the side says it was mbed's refusal.
    expect(bridge.status()).toMatchObject({ failedSide: 'mbed', channel: { state: 'stopped' } })

    const bad = await setup(broker.url, { key: 'ak_revoked', start: false })
    const e = await bad.bridge.start().catch((err: unknown) => err)
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).code).toBe('AUTH_FAILED')
    expect(bad.bridge.state).toBe('failed')
    // The channel never started (the endpoint list was refused first): only the side says it was mbed's refusal.
    expect(bad.bridge.status()).toMatchObject({ state: 'failed', failedSide: 'mbed', reason: { code: 'AUTH_FAILED' }, channel: { state: 'idle' } })
    expect(bad.events.filter((ev) => ev.name === 'mbed:state').at(-1)?.payload).toMatchObject({ state: 'failed', failedSide: 'mbed' })
  })

  it('names the disk as the side that failed when its queue cannot be had; a running bridge names none', async () => {
    // A second bridge on the same queue directory: its lock refuses it before anything is read from mbed.
    const queueDir = await tempDir('fieldline-mbed-queue-')
    cleanups.push(() => queueDir.cleanup())
    const holder = await setup(broker.url, { bridge: { queueDir: queueDir.dir } })
    expect(holder.bridge.status()).toMatchObject({ state: 'running', failedSide: null })
    const second = await setup(broker.url, { bridge: { queueDir: queueDir.dir }, start: false })
    await expect(second.bridge.start()).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(second.bridge.status()).toMatchObject({ state: 'failed', failedSide: 'disk', channel: { state: 'idle' } })
  })

  it('starts again after a failure once the cause is gone', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge } = await setup(broker.url)
    peer.faults.set({ kind: 'status', status: 401, path: /notification\/pull/, times: 1 })
    await expect.poll(() => bridge.state, POLL).toBe('failed')
    await bridge.start()
    await expect.poll(() => bridge.state, POLL).toBe('running')
    peer.notify(endpoint(peer, 'Sensor').name, '/3303/0/5700', 'again')
    await expect.poll(() => sub.of('notify').length, POLL).toBe(1)
  })

  it('stop() during start() leaves the bridge stopped', async () => {
    const { bridge, peer } = await setup(broker.url, { start: false, peer: {} })
    peer.faults.set({ kind: 'latency', ms: 300, path: /v2\/endpoints$/, times: 1 })
    const started = bridge.start()
    await bridge.stop()
    await started
    expect(bridge.state).toBe('stopped')
    expect(peer.stats().byRoute['GET /v2/notification/pull']).toBeUndefined()
  })

  it('channel faults degrade the bridge and it recovers (410 re-created, 5xx retried)', async () => {
    const sub = await subscriber(broker.url)
    const { peer, bridge, events } = await setup(broker.url)
    const sensor = endpoint(peer, 'Sensor')
    const degraded = () => events.filter((e) => e.name === 'mbed:state' && e.payload.state === 'degraded').map((e) => (e.name === 'mbed:state' ? e.payload.reason?.code : ''))
    const before = degraded().length
    peer.faults.set({ kind: 'status', status: 410, path: /notification\/pull/, times: 1 })
    await expect.poll(() => degraded().length, POLL).toBeGreaterThan(before)
    await expect.poll(() => bridge.state, POLL).toBe('running')
    const steps = () => events.flatMap((e) => (e.name === 'mbed:state' && e.payload.state === 'degraded' && e.payload.channel.retryAt !== null ? [e.payload.channel.retryAt] : []))
    const stepsBefore = steps().length
    peer.faults.set({ kind: 'status', status: 502, path: /notification\/pull/, times: 2 })
    await expect.poll(() => degraded().slice(before), POLL).toContain('CARRIER')
    await expect.poll(() => bridge.state, POLL).toBe('running')
    // Each back-off step says when the channel tries again, even with the same state and reason: two failures, two times.
    const retries = steps().slice(stepsBefore)
    expect(retries.length).toBeGreaterThanOrEqual(2)
    expect(new Set(retries).size).toBe(retries.length)
    expect(retries.every((at) => !Number.isNaN(Date.parse(at)))).toBe(true)
    expect(bridge.status().channel.retryAt).toBeNull()
    peer.notify(sensor.name, '/3303/0/5700', 'after-faults')
    await expect.poll(() => sub.of('notify').map((r) => r.body.payload), POLL).toEqual([b64('after-faults')])
  })

  it('says the current reason of an outage: mbed closed the connection, then refuses new ones', async () => {
    const { peer, bridge } = await setup(broker.url)
    await expect.poll(() => bridge.state, POLL).toBe('running')
    await peer.close()
    await expect.poll(() => bridge.state, POLL).toBe('degraded')
    const since = bridge.status().since
    await expect.poll(() => bridge.status().reason?.message ?? '', POLL).toMatch(/refused/i)
    // Still the same outage: the state's start did not move with its reason.
    expect(bridge.status().since).toBe(since)
  })

  it('emits events that match the proposed contract schemas', async () => {
    const { peer, bridge, events } = await setup(broker.url)
    peer.notify(endpoint(peer, 'Light').name, '/3311/0/5850', '1')
    await expect.poll(() => events.filter((e) => e.name === 'mbed:notifications').length, POLL).toBeGreaterThan(0)
    await expect.poll(() => events.filter((e) => e.name === 'mbed:counters').length, POLL).toBeGreaterThan(0)
    await bridge.sendCommand({ method: 'POST', deviceId: endpoint(peer, 'Light').name, resourceId: '3/0/4' })
    await expect.poll(() => events.filter((e) => e.name === 'mbed:command').length, POLL).toBeGreaterThan(1)
    for (const e of events) expect(() => mbedEvents[e.name].parse(e.payload)).not.toThrow()
    expect(events.filter((e) => e.name === 'mbed:state').map((e) => (e.name === 'mbed:state' ? e.payload.state : ''))).toEqual(['starting', 'running'])
  })

  it('lists endpoints with resources and imports them as workspace devices, audited, refusing invalid names', async () => {
    const { peer, bridge } = await setup(broker.url)
    peer.register({ name: 'x'.repeat(40), type: 'Sensor' })
    const endpoints = await bridge.listEndpoints()
    expect(endpoints).toHaveLength(5)
    expect(endpoints.find((e) => e.type === 'Light')?.resources.some((r) => r.path === '/3311/0/5850')).toBe(true)
    expect(endpoints.find((e) => e.name === 'x'.repeat(40))?.bridgeable).toBe(false)

    const dir = await tempDir()
    cleanups.push(() => dir.cleanup())
    const ws = await openWorkspace(dir.dir)
    cleanups.push(() => ws.close())
    const first = await importEndpoints(ws.db, endpoints, { defaultDeviceType: 'mbed', actor: 'test', source: peer.url })
    expect(first.added.map((k) => k.typeId).sort()).toEqual(['Light', 'Light', 'Sensor', 'Tracker'])
    expect(first.refused).toEqual([expect.objectContaining({ name: 'x'.repeat(40), ref: { key: 'mbed.import.invalidName', params: { name: 'x'.repeat(40) } } })])
    expect((await ws.db.allDocs({ startkey: 'device:', endkey: 'device:\ufff0' })).rows).toHaveLength(4)
    const audit = await listAudit(ws.db, { query: 'devices.import.mbed', offset: 0, limit: 10 })
    expect(audit.total).toBe(1)
    expect(audit.items[0]).toMatchObject({ actor: 'test', action: 'devices.import.mbed', target: peer.url, outcome: 'ok' })
    const again = await importEndpoints(ws.db, endpoints, { defaultDeviceType: 'mbed', actor: 'test' })
    expect(again.added).toEqual([])
    expect(again.existing).toHaveLength(4)
  })
})
