/**
 * Exercises the mbed Device Connector / Pelion Connect peer itself over real HTTP and WebSocket on 127.0.0.1, against
 * docs/wire/mbed.md §1, so the bridge's client tests can trust what it says on the wire.
 *
 * Each test uses its own API key where it reads notifications: a key is one application with its own channel and
 * queue (§1.5), so nothing a test leaves queued reaches the next one.
 */
import { performance } from 'node:perf_hooks'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { startWireCapture } from '../helpers/wire-capture'
import { startMbedPeer, type MbedPeer } from '../peers/mbed/mbed.peer'

const KEYS = Array.from({ length: 40 }, (_, i) => `ak_test_key_${String(i).padStart(2, '0')}`)
let keyCursor = 0
/** A key nobody has used yet in this file. */
const freshKey = (): string => {
  const key = KEYS[keyCursor++]
  if (key === undefined) throw new Error('out of test keys')
  return key
}
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` })

interface Reply {
  status: number
  headers: Headers
  text: string
  json: <T>() => T
}

async function call(peer: MbedPeer, path: string, init: RequestInit & { key?: string | null } = {}): Promise<Reply> {
  const headers = new Headers(init.headers)
  const key = init.key === undefined ? KEYS[0] : init.key
  if (key !== null && key !== undefined) headers.set('authorization', `Bearer ${key}`)
  const response = await fetch(peer.url + path, { ...init, headers })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T }
}

interface PelionError {
  code: number
  message: string
  object: string
  request_id: string
  type: string
  fields?: { name: string; message: string }[]
}

function expectPelionError(r: Reply, status: number, type: string): PelionError {
  expect(r.status, r.text).toBe(status)
  expect(r.headers.get('content-type')).toBe('application/json')
  const body = r.json<PelionError>()
  expect(body).toMatchObject({ code: status, object: 'error', type })
  expect(body.request_id).toMatch(/^[0-9a-f]{32}$/)
  expect(typeof body.message).toBe('string')
  return body
}

interface NotificationItem {
  ep: string
  path: string
  ct: string
  payload: string
  'max-age': number | string
}
interface Registration {
  ep: string
  ept: string
  q: boolean
  resources: { path: string; rt?: string; ct?: string; obs: boolean }[]
}
interface AsyncItem {
  id: string
  status: number
  payload?: string
  ct?: string
  'max-age'?: number | string
  error?: string
}
interface Envelope {
  notifications?: NotificationItem[]
  registrations?: Registration[]
  'reg-updates'?: Registration[]
  'de-registrations'?: string[]
  'registrations-expired'?: string[]
  'async-responses'?: AsyncItem[]
}

const ENVELOPE_KEYS = ['notifications', 'registrations', 'reg-updates', 'de-registrations', 'registrations-expired', 'async-responses']

/** Everything gathered from a channel so far, flattened per envelope key. */
class Inbox {
  readonly envelopes: Envelope[] = []
  add(envelope: Envelope): void {
    // §1.6: only the six documented keys, each an array.
    for (const [k, v] of Object.entries(envelope)) {
      expect(ENVELOPE_KEYS).toContain(k)
      expect(Array.isArray(v)).toBe(true)
    }
    this.envelopes.push(envelope)
  }
  get notifications(): NotificationItem[] {
    return this.envelopes.flatMap((e) => e.notifications ?? [])
  }
  get asyncResponses(): AsyncItem[] {
    return this.envelopes.flatMap((e) => e['async-responses'] ?? [])
  }
  get registrations(): Registration[] {
    return this.envelopes.flatMap((e) => e.registrations ?? [])
  }
  get regUpdates(): Registration[] {
    return this.envelopes.flatMap((e) => e['reg-updates'] ?? [])
  }
  get deregistrations(): string[] {
    return this.envelopes.flatMap((e) => e['de-registrations'] ?? [])
  }
  get expired(): string[] {
    return this.envelopes.flatMap((e) => e['registrations-expired'] ?? [])
  }
}

/** Long-polls (§1.5) until `done` holds or `maxPolls` polls came back, gathering every 200 body. */
async function pollUntil(peer: MbedPeer, key: string, done: (inbox: Inbox) => boolean, maxPolls = 40): Promise<Inbox> {
  const inbox = new Inbox()
  for (let i = 0; i < maxPolls && !done(inbox); i++) {
    const r = await call(peer, '/v2/notification/pull', { key, headers: { connection: 'keep-alive' } })
    if (r.status === 200) {
      expect(r.headers.get('content-type')).toBe('application/json')
      inbox.add(r.json<Envelope>())
    } else {
      expect(r.status, r.text).toBe(204)
      expect(r.text).toBe('')
    }
  }
  return inbox
}

/** Creates the key's pull channel the way CN does: a first poll with noWait=true (§1.5). */
/** §1.4: the peer delivers a notification only to a key subscribed to its resource. */
async function subscribe(peer: MbedPeer, key: string, ep: string, path: string): Promise<void> {
  const r = await call(peer, `/v2/subscriptions/${ep}${path}`, { key, method: 'PUT' })
  expect([200, 202]).toContain(r.status)
}

/** Every observable resource of every endpoint, for a key. */
async function subscribeAll(peer: MbedPeer, key: string): Promise<void> {
  for (const e of peer.endpoints()) for (const r of e.resources.filter((x) => x.obs)) await subscribe(peer, key, e.name, r.path)
}

async function openPullChannel(peer: MbedPeer, key: string): Promise<void> {
  const r = await call(peer, '/v2/notification/pull?noWait=true', { key })
  expect([200, 204]).toContain(r.status)
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')
const unb64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8')
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Sends a long poll and returns once the peer holds it (nothing queued), so what follows reaches a held poll. */
async function heldPoll(peer: MbedPeer, key: string): Promise<{ reply: Promise<Reply> }> {
  const before = peer.stats().pollsHeld
  const reply = call(peer, '/v2/notification/pull', { key })
  await until(() => peer.stats().pollsHeld > before, 'the peer to hold the long poll')
  return { reply }
}

interface Socket {
  ws: WebSocket
  inbox: Inbox
  opened: Promise<void>
  closed: Promise<{ code: number; reason: string }>
  protocol: () => string
}

/** A WebSocket on the notification channel (§1.5); every text frame must be one envelope. */
function connect(peer: MbedPeer, how: { key: string; via: 'header' | 'subprotocol' }): Socket {
  const ws = how.via === 'header' ? new WebSocket(peer.wsUrl, { headers: bearer(how.key) }) : new WebSocket(peer.wsUrl, ['wss', `pelion_${how.key}`])
  const inbox = new Inbox()
  ws.on('message', (data, isBinary) => {
    expect(isBinary).toBe(false)
    inbox.add(JSON.parse(String(data)) as Envelope)
  })
  ws.on('error', () => undefined)
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)))
    ws.once('error', reject)
  })
  opened.catch(() => undefined)
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  return { ws, inbox, opened, closed, protocol: () => ws.protocol }
}

/** The HTTP answer to a handshake that is refused before the upgrade. */
function refusedHandshake(peer: MbedPeer, headers: Record<string, string>, protocols: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(peer.wsUrl, protocols, { headers })
    ws.on('error', () => undefined)
    ws.once('open', () => reject(new Error('handshake unexpectedly succeeded')))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
  })
}

// ---------------------------------------------------------------------------------------------------------------------

describe('mbed peer, Connector flavour', () => {
  let peer: MbedPeer
  let light: string
  let sensor: string
  let tracker: string

  beforeAll(async () => {
    // A 1 s hold keeps "poll, then make something happen" tests far from the 204 even on a loaded machine.
    peer = await startMbedPeer({ accessKeys: KEYS, pollTimeoutMs: 1000, deviceTimeoutMs: 100, channelDeletedMs: 300, seed: 7 })
    const eps = peer.endpoints()
    light = eps.find((e) => e.type === 'Light')?.name ?? ''
    sensor = eps.find((e) => e.type === 'Sensor')?.name ?? ''
    tracker = eps.find((e) => e.queueMode)?.name ?? ''
  })
  afterAll(async () => {
    await peer.close()
  })
  afterEach(() => {
    peer.faults.clear()
    peer.setCommandBehaviour(null)
  })

  it('requires Bearer auth everywhere and answers 401 with the Pelion error body (§1.1)', async () => {
    for (const path of ['/', '/rest-versions', '/v2/endpoints', '/v2/limits', '/v2/notification/pull', `/v2/endpoints/${light}`]) {
      expectPelionError(await call(peer, path, { key: null }), 401, 'invalid_token')
      expectPelionError(await call(peer, path, { key: 'ak_wrong' }), 401, 'invalid_token')
    }
    const basic = await call(peer, '/v2/endpoints', { key: null, headers: { authorization: `Basic ${b64('domain/user:pw')}` } })
    expectPelionError(basic, 401, 'invalid_token')
    // The scheme is case-insensitive; the key is not.
    expect((await call(peer, '/v2/endpoints', { key: null, headers: { authorization: `bearer ${KEYS[0]}` } })).status).toBe(200)
    expect((await call(peer, '/v2/endpoints', { key: KEYS[0]?.toUpperCase() ?? '' })).status).toBe(401)
    // Request ids differ per error.
    const a = expectPelionError(await call(peer, '/', { key: null }), 401, 'invalid_token')
    const b = expectPelionError(await call(peer, '/', { key: null }), 401, 'invalid_token')
    expect(a.request_id).not.toBe(b.request_id)
  })

  it('serves the root banner and /rest-versions (§1.1)', async () => {
    const root = await call(peer, '/')
    expect(root.status).toBe(200)
    expect(root.headers.get('content-type')).toBe('text/plain')
    expect(root.text).toBe('DeviceServer v3.0.0-520\nREST version = v2')
    const versions = await call(peer, '/rest-versions')
    expect(versions.json<string[]>()).toEqual(['v1', 'v2'])
  })

  it('lists endpoints, filters by type, and describes one endpoint (§1.2)', async () => {
    const all = (await call(peer, '/v2/endpoints')).json<{ name: string; type: string; status: string; q: boolean }[]>()
    expect(all).toHaveLength(4)
    for (const e of all) {
      expect(Object.keys(e).sort()).toEqual(['name', 'q', 'status', 'type'])
      expect(e.status).toBe('ACTIVE')
      expect(e.name).toMatch(/^[0-9a-f]{32}$/)
    }
    expect(all.filter((e) => e.q).map((e) => e.name)).toEqual([tracker])
    const lights = (await call(peer, '/v2/endpoints?type=Light')).json<{ name: string; type: string }[]>()
    expect(lights).toHaveLength(2)
    expect(lights.every((e) => e.type === 'Light')).toBe(true)
    expect((await call(peer, '/v2/endpoints?type=Nope')).json<unknown[]>()).toEqual([])

    const resources = (await call(peer, `/v2/endpoints/${sensor}`)).json<{ uri: string; rt?: string; obs: boolean; type: string }[]>()
    expect(resources).toContainEqual({ uri: '/3303/0/5700', rt: 'urn:oma:lwm2m:ext:3303', obs: true, type: 'text/plain' })
    expect(resources).toContainEqual({ uri: '/3/0/4', obs: false, type: '' })
    expectPelionError(await call(peer, '/v2/endpoints/no-such-endpoint'), 404, 'not_found')

    // Same seed, same names: a client test can hard-code nothing yet still be deterministic.
    const again = await startMbedPeer({ seed: 7 })
    expect(again.endpoints().map((e) => e.name)).toEqual(peer.endpoints().map((e) => e.name))
    await again.close()
  })

  it('answers /v2/limits (§1.7)', async () => {
    const limits = (await call(peer, '/v2/limits')).json<Record<string, number>>()
    expect(Object.keys(limits).sort()).toEqual(['endpoint-count', 'endpoint-quota', 'transaction-count', 'transaction-quota'])
    expect(limits['transaction-quota']).toBe(10000)
    expect(limits['endpoint-quota']).toBe(100)
    expect(limits['endpoint-count']).toBe(4)
    expect(typeof limits['transaction-count']).toBe('number')
  })

  it('has none of the Pelion-only routes', async () => {
    expectPelionError(await call(peer, `/v2/device-requests/${light}?async-id=x`, { method: 'POST', body: '{}' }), 404, 'not_found')
    expectPelionError(await call(peer, '/v2/notification/websocket', { method: 'PUT' }), 404, 'not_found')
    expectPelionError(await call(peer, '/v3/api-keys/me'), 404, 'not_found')
    const ws = await refusedHandshake(peer, bearer(KEYS[0] ?? ''))
    expect(ws.status).toBe(404)
  })

  it('PUT/POST on a resource → 202 async-response-id → the device answer as an async-responses item (§1.3, §1.6)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    const before = peer.commands().length
    const put = await call(peer, `/v2/endpoints/${light}/3311/0/5850`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '1' })
    expect(put.status).toBe(202)
    const putId = put.json<{ 'async-response-id': string }>()['async-response-id']
    expect(put.json<Record<string, string>>()).toEqual({ 'async-response-id': putId })
    expect(putId).toMatch(new RegExp(`^\\d+#${light}@test\\.domain\\.com/3311/0/5850$`))

    const post = await call(peer, `/v2/endpoints/${light}/3/0/4`, { method: 'POST' })
    expect(post.status).toBe(202)
    const postId = post.json<{ 'async-response-id': string }>()['async-response-id']
    expect(postId).not.toBe(putId)

    const inbox = await pollUntil(peer, key, (i) => i.asyncResponses.length >= 2)
    const byId = new Map(inbox.asyncResponses.map((a) => [a.id, a]))
    expect(byId.get(putId)).toMatchObject({ id: putId, status: 200, payload: '', ct: 'text/plain' })
    expect(byId.get(postId)).toMatchObject({ id: postId, status: 200, payload: '' })
    expect(byId.get(putId)).toHaveProperty('max-age')

    const sent = peer.commands().slice(before)
    expect(sent.map((c) => [c.method, c.ep, c.path, c.body.toString(), c.asyncId, c.form])).toEqual([
      ['PUT', light, '/3311/0/5850', '1', putId, 'resource'],
      ['POST', light, '/3/0/4', '', postId, 'resource'],
    ])
    expect(sent[0]?.contentType).toBe('text/plain')

    // The device kept the value: a GET reads it back, base64 in the async item.
    const get = await call(peer, `/v2/endpoints/${light}/3311/0/5850`)
    const getId = get.json<{ 'async-response-id': string }>()['async-response-id']
    const read = await pollUntil(peer, key, (i) => i.asyncResponses.some((a) => a.id === getId))
    expect(unb64(read.asyncResponses.find((a) => a.id === getId)?.payload ?? '')).toBe('1')
  })

  it('answers device errors, custom payloads and silence the way setCommandBehaviour says (§1.3 async codes)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    peer.setCommandBehaviour((cmd) => {
      if (cmd.path === '/3303/0/5700') return { status: 200, payload: '21.5', ct: 'text/plain', delayMs: 10 }
      if (cmd.path === '/3/0/0') return { status: 503, error: 'NOT_CONNECTED' }
      return 'no-response'
    })
    const ids: string[] = []
    for (const path of ['/3303/0/5700', '/3/0/0', '/3/0/1']) {
      const r = await call(peer, `/v2/endpoints/${sensor}${path}`)
      expect(r.status).toBe(202)
      ids.push(r.json<{ 'async-response-id': string }>()['async-response-id'])
    }
    const inbox = await pollUntil(peer, key, (i) => i.asyncResponses.length >= 3)
    const [ok, down, silent] = ids.map((id) => inbox.asyncResponses.find((a) => a.id === id))
    expect(ok).toMatchObject({ status: 200, ct: 'text/plain' })
    expect(unb64(ok?.payload ?? '')).toBe('21.5')
    expect(down).toEqual({ id: ids[1], status: 503, error: 'NOT_CONNECTED' })
    // The documented example error item, exactly.
    expect(silent).toEqual({ id: ids[2], status: 504, error: 'TIMEOUT' })
  })

  it('maps the immediate resource-request codes: 410 endpoint, 404 resource, noResp 204/409, 405, cacheOnly 205/200 (§1.3)', async () => {
    expectPelionError(await call(peer, '/v2/endpoints/gone-device/3/0/0'), 410, 'not_found')
    expectPelionError(await call(peer, `/v2/endpoints/${light}/9999/0/1`), 404, 'not_found')
    expectPelionError(await call(peer, `/v2/endpoints/${light}/`), 404, 'not_found')
    expect((await call(peer, `/v2/endpoints/${light}/3/0`, { method: 'POST' })).status).toBe(202)

    const before = peer.commands().length
    const nonConfirmable = await call(peer, `/v2/endpoints/${light}/3311/0/5850?noResp=true`, { method: 'PUT', body: '0' })
    expect(nonConfirmable.status).toBe(204)
    expect(nonConfirmable.text).toBe('')
    expect(peer.commands().slice(before)).toMatchObject([{ method: 'PUT', asyncId: '', query: 'noResp=true' }])
    expectPelionError(await call(peer, `/v2/endpoints/${tracker}/3336/0/5514?noResp=true`, { method: 'PUT', body: '1' }), 409, 'conflict')

    const patch = await call(peer, `/v2/endpoints/${light}/3/0/0`, { method: 'PATCH' })
    expect(patch.status).toBe(405)
    expect(patch.headers.get('allow')).toBe('GET, PUT, POST, DELETE')

    expect((await call(peer, `/v2/endpoints/${sensor}/3200/0/5501?cacheOnly=true`)).status).toBe(205)
    // [I] The service caches what it observes: a value nobody subscribed to never reaches it.
    peer.notify(sensor, '/3200/0/5501', '16')
    expect((await call(peer, `/v2/endpoints/${sensor}/3200/0/5501?cacheOnly=true`)).status).toBe(205)
    await subscribe(peer, KEYS[0] ?? '', sensor, '/3200/0/5501')
    peer.notify(sensor, '/3200/0/5501', '17')
    const cached = await call(peer, `/v2/endpoints/${sensor}/3200/0/5501?cacheOnly=true`)
    expect(cached.status).toBe(200)
    expect(cached.headers.get('content-type')).toBe('text/plain')
    expect(cached.text).toBe('17')

    const big = await call(peer, `/v2/endpoints/${light}/3311/0/5850`, { method: 'PUT', body: Buffer.alloc(1_048_577, 0x31) })
    expectPelionError(big, 413, 'payload_too_large')
  })

  it('answers 429 when the device already has a full request queue (§1.3)', async () => {
    const small = await startMbedPeer({ deviceQueueLimit: 2, deviceTimeoutMs: 150 })
    try {
      const ep = small.endpoints()[0]?.name ?? ''
      small.setCommandBehaviour(() => 'no-response')
      const codes: number[] = []
      for (let i = 0; i < 3; i++) codes.push((await call(small, `/v2/endpoints/${ep}/3/0/0`, { key: 'ak_test_key' })).status)
      expect(codes).toEqual([202, 202, 429])
      // Other devices are unaffected.
      expect((await call(small, `/v2/endpoints/${small.endpoints()[1]?.name ?? ''}/3/0/0`, { key: 'ak_test_key' })).status).toBe(202)
    } finally {
      await small.close()
    }
  })

  it('long poll: 204 after the server-side hold, 200 as soon as something arrives, noWait (§1.5)', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5851')
    await subscribe(peer, key, light, '/3311/0/5850')
    // Nothing is queued for a key before its channel exists.
    peer.notify(light, '/3311/0/5851', 'lost')
    const first = await call(peer, '/v2/notification/pull?noWait=true', { key })
    expect(first.status).toBe(204)

    const idleBefore = peer.stats().pollsIdle
    const held = await call(peer, '/v2/notification/pull', { key })
    expect(held.status).toBe(204)
    expect(peer.stats().pollsIdle).toBe(idleBefore + 1)

    const { reply: waiting } = await heldPoll(peer, key)
    peer.notify(light, '/3311/0/5851', '75')
    const got = await waiting
    expect(got.status).toBe(200)
    expect(got.json<Envelope>()).toEqual({ notifications: [{ ep: light, path: '/3311/0/5851', ct: 'text/plain', payload: b64('75'), 'max-age': expect.anything() as unknown }] })

    // Several items produced together arrive as one envelope.
    peer.notify(light, '/3311/0/5851', '1')
    peer.notify(light, '/3311/0/5850', '1')
    const batch = await call(peer, '/v2/notification/pull', { key })
    expect(batch.json<Envelope>().notifications).toHaveLength(2)
  })

  it('lets only one poll per key be ongoing: a newer poll answers the older one 204 (§1.5, [I])', async () => {
    const key = freshKey()
    await subscribe(peer, key, sensor, '/3303/0/5700')
    await openPullChannel(peer, key)
    const { reply: older } = await heldPoll(peer, key)
    const { reply: newer } = await heldPoll(peer, key)
    expect((await older).status).toBe(204)
    peer.notify(sensor, '/3303/0/5700', '22.0')
    expect((await newer).status).toBe(200)

    const strict = await startMbedPeer({ concurrentPoll: 'reject', pollTimeoutMs: 200 })
    try {
      const { reply: a } = await heldPoll(strict, 'ak_test_key')
      expectPelionError(await call(strict, '/v2/notification/pull', { key: 'ak_test_key' }), 409, 'conflict')
      expect((await a).status).toBe(204)
    } finally {
      await strict.close()
    }
  })

  it('DELETE /v2/notification/pull: 204, then 410 "CHANNEL_DELETED" for a while, then a new channel (§1.5)', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5850')
    await openPullChannel(peer, key)
    peer.notify(light, '/3311/0/5850', '1')
    const held = call(peer, '/v2/notification/pull?noWait=true', { key })
    expect((await held).status).toBe(200)

    const { reply: waiting } = await heldPoll(peer, key)
    const del = await call(peer, '/v2/notification/pull', { key, method: 'DELETE' })
    expect(del.status).toBe(204)
    const cut = await waiting
    expect(cut.status).toBe(410)
    expect(cut.text).toBe('CHANNEL_DELETED')

    peer.notify(light, '/3311/0/5850', 'dropped with the channel')
    const gone = await call(peer, '/v2/notification/pull', { key })
    expect(gone.status).toBe(410)
    expect(gone.headers.get('content-type')).toBe('text/plain')
    expect(gone.text).toBe('CHANNEL_DELETED')
    expectPelionError(await call(peer, '/v2/notification/pull', { key, method: 'DELETE' }), 404, 'not_found')

    // Polls inside the window are answered 410 and change nothing, so asking again is the way to wait for its end.
    await expect.poll(async () => (await call(peer, '/v2/notification/pull?noWait=true', { key })).status, { timeout: 5000, interval: 20 }).toBe(204)
  })

  it('emits max-age always as a number, in notifications and async responses (§1.6: the example frames)', async () => {
    const key = freshKey()
    await subscribe(peer, key, sensor, '/3303/0/5700')
    await openPullChannel(peer, key)
    for (let i = 0; i < 4; i++) peer.notify(sensor, '/3303/0/5700', String(20 + i))
    peer.notify(sensor, '/3303/0/5700', 'x', { maxAge: 600 })
    const inbox = await pollUntil(peer, key, (i) => i.notifications.length >= 5)
    expect(inbox.notifications.map((n) => n['max-age'])).toEqual([0, 0, 0, 0, 600])
    for (let i = 0; i < 4; i++) expect((await call(peer, `/v2/endpoints/${sensor}/3303/0/5700`, { key })).status).toBe(202)
    const answers = await pollUntil(peer, key, (i) => i.asyncResponses.length >= 4)
    expect(new Set(answers.asyncResponses.map((a) => typeof a['max-age']))).toEqual(new Set(['number']))
    expect(() => peer.notify(sensor, '/3303/0/5700', 'y', { maxAge: -1 })).toThrow(RangeError)
  })

  it('produces registrations, reg-updates, de-registrations and registrations-expired (§1.6)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    peer.register({ name: 'node-001', type: 'Light', resources: [{ path: '/dev/temp', obs: true, ct: 'text/plain' }] })
    peer.register({
      name: 'node-001',
      type: 'Light',
      resources: [
        { path: '/dev/temp', obs: true, ct: 'text/plain' },
        { path: '/dev/led', obs: false },
      ],
    })
    peer.register({ name: 'node-002', type: 'Sensor', queueMode: true })
    let inbox = await pollUntil(peer, key, (i) => i.registrations.length >= 2 && i.regUpdates.length >= 1)
    expect(inbox.registrations[0]).toEqual({ ep: 'node-001', ept: 'Light', q: false, resources: [{ path: '/dev/temp', ct: 'text/plain', obs: true }] })
    expect(inbox.regUpdates[0]?.resources.map((r) => r.path)).toEqual(['/dev/temp', '/dev/led'])
    expect(inbox.registrations[1]).toMatchObject({ ep: 'node-002', ept: 'Sensor', q: true })
    expect((await call(peer, '/v2/endpoints?type=Light')).json<{ name: string }[]>().map((e) => e.name)).toContain('node-001')

    // The spec's own async-id example now applies verbatim.
    const put = await call(peer, '/v2/endpoints/node-001/dev/temp', { method: 'PUT', body: '5' })
    expect(put.json<{ 'async-response-id': string }>()['async-response-id']).toMatch(/^\d+#node-001@test\.domain\.com\/dev\/temp$/)

    // A request still queued when its device leaves fails with DEVICE_REMOVED_REGISTRATION.
    peer.setCommandBehaviour(() => 'no-response')
    const stuck = (await call(peer, '/v2/endpoints/node-002/3/0/0')).json<{ 'async-response-id': string }>()['async-response-id']
    peer.deregister('node-002')
    peer.expire('node-001')
    inbox = await pollUntil(peer, key, (i) => i.deregistrations.length >= 1 && i.expired.length >= 1 && i.asyncResponses.some((a) => a.id === stuck))
    expect(inbox.deregistrations).toEqual(['node-002'])
    expect(inbox.expired).toEqual(['node-001'])
    expect(inbox.asyncResponses.find((a) => a.id === stuck)).toEqual({ id: stuck, status: 429, error: 'DEVICE_REMOVED_REGISTRATION' })
    expectPelionError(await call(peer, '/v2/endpoints/node-002/3/0/0'), 410, 'not_found')
    expect(() => peer.deregister('node-002')).toThrow(/unknown endpoint/)
    expect(() => peer.notify('node-002', '/3/0/0', 'x')).toThrow(/unknown endpoint/)
  })

  it('DELETE /v2/endpoints/{ep}: 202 + async-response-id, a de-registrations item, then the async item 200 (§1.2, CN)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    peer.register({ name: 'node-doomed', type: 'Light' })
    const del = await call(peer, '/v2/endpoints/node-doomed', { method: 'DELETE' })
    expect(del.status).toBe(202)
    const id = del.json<{ 'async-response-id': string }>()['async-response-id']
    expect(id).toMatch(/^\d+#node-doomed@test\.domain\.com$/)
    const inbox = await pollUntil(peer, key, (i) => i.deregistrations.length >= 1 && i.asyncResponses.length >= 1)
    expect(inbox.registrations.map((r) => r.ep)).toEqual(['node-doomed'])
    expect(inbox.deregistrations).toEqual(['node-doomed'])
    expect(inbox.asyncResponses).toEqual([{ id, status: 200 }])
    expectPelionError(await call(peer, '/v2/endpoints/node-doomed'), 404, 'not_found')
    expectPelionError(await call(peer, '/v2/endpoints/node-doomed', { method: 'DELETE' }), 404, 'not_found')
  })

  it('expires a pull channel nobody polls, with its queue (§1.5)', async () => {
    const short = await startMbedPeer({ pullChannelExpiryMs: 100 })
    // The peer measures a channel's idle time with Date.now(): moving the clock is the 100 ms nobody polled.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      const ep = short.endpoints()[0]?.name ?? ''
      await subscribe(short, 'ak_test_key', ep, '/3/0/13')
      await openPullChannel(short, 'ak_test_key')
      short.notify(ep, '/3/0/13', 'kept')
      expect((await call(short, '/v2/notification/pull?noWait=true', { key: 'ak_test_key' })).status).toBe(200)
      vi.setSystemTime(Date.now() + 101)
      short.notify(ep, '/3/0/13', 'expired with the channel')
      expect((await call(short, '/v2/notification/pull?noWait=true', { key: 'ak_test_key' })).status).toBe(204)
    } finally {
      vi.useRealTimers()
      await short.close()
    }
  })

  it('subscriptions: 200, 412 not observable, 404 unknown endpoint or resource, uri-list, DELETE 204/404 (§1.4)', async () => {
    const key = freshKey()
    expect((await call(peer, `/v2/subscriptions/${sensor}/3303/0/5700`, { key, method: 'PUT' })).status).toBe(200)
    expect((await call(peer, `/v2/subscriptions/${sensor}/3303/0/5700`, { key })).status).toBe(200)
    expect((await call(peer, `/v2/subscriptions/${sensor}/3303/0/5700`, { key: freshKey() })).status).toBe(404)
    expectPelionError(await call(peer, `/v2/subscriptions/${sensor}/3/0/0`, { key, method: 'PUT' }), 412, 'precondition_failed')
    expectPelionError(await call(peer, `/v2/subscriptions/${sensor}/9/9/9`, { key, method: 'PUT' }), 404, 'not_found')
    expectPelionError(await call(peer, `/v2/subscriptions/nobody/3/0/0`, { key, method: 'PUT' }), 404, 'not_found')
    const list = await call(peer, `/v2/subscriptions/${sensor}`, { key })
    expect(list.headers.get('content-type')).toBe('text/uri-list')
    expect(list.text).toBe('/3303/0/5700')
    expect((await call(peer, `/v2/subscriptions/${sensor}/3303/0/5700`, { key, method: 'DELETE' })).status).toBe(204)
    expectPelionError(await call(peer, `/v2/subscriptions/${sensor}/3303/0/5700`, { key, method: 'DELETE' }), 404, 'not_found')
    expectPelionError(await call(peer, `/v2/subscriptions/${sensor}`, { key }), 404, 'not_found')
  })

  it('a queue-mode endpoint answers a subscribe 202 + async id, and the outcome arrives as an async item', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    const r = await call(peer, `/v2/subscriptions/${tracker}/3336/0/5514`, { key, method: 'PUT' })
    expect(r.status).toBe(202)
    const id = r.json<{ 'async-response-id': string }>()['async-response-id']
    const inbox = await pollUntil(peer, key, (i) => i.asyncResponses.length >= 1)
    expect(inbox.asyncResponses).toEqual([{ id, status: 200 }])
    expect(peer.subscribed(key, tracker, '/3336/0/5514')).toBe(true)
  })

  it('delivers a notification only to keys subscribed to its resource (§1.4)', async () => {
    const [mine, other] = [freshKey(), freshKey()]
    await openPullChannel(peer, mine)
    await openPullChannel(peer, other)
    await subscribe(peer, mine, light, '/3311/0/5850')
    const skippedBefore = peer.stats().notificationsNotSubscribed
    peer.notify(light, '/3311/0/5850', 'for mine')
    peer.notify(light, '/3311/0/5851', 'for nobody')
    const got = await pollUntil(peer, mine, (i) => i.notifications.length >= 1)
    expect(got.notifications.map((n) => unb64(n.payload))).toEqual(['for mine'])
    expect((await call(peer, '/v2/notification/pull?noWait=true', { key: mine })).status).toBe(204)
    expect((await call(peer, '/v2/notification/pull?noWait=true', { key: other })).status).toBe(204)
    expect(peer.stats().notificationsNotSubscribed - skippedBefore).toBeGreaterThanOrEqual(3)
  })

  it('pre-subscriptions apply on registration and reg-update, not to endpoints already registered; they survive a full re-registration, manual ones do not (§1.4)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    const rules = [
      { 'endpoint-name': 'presub-*', 'resource-path': ['/3303/*'] },
      { 'endpoint-type': 'Light', 'resource-path': ['/3311/0/5850'] },
    ]
    expect((await call(peer, '/v2/subscriptions', { key, method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) })).status).toBe(204)
    expect((await call(peer, '/v2/subscriptions', { key })).json<unknown>()).toEqual(rules)
    // Registered before the rules were written: not covered until it registers again.
    expect(peer.subscribed(key, light, '/3311/0/5850')).toBe(false)
    peer.register({ name: 'presub-1', type: 'Sensor' })
    expect(peer.subscribed(key, 'presub-1', '/3303/0/5700')).toBe(true)
    expect(peer.subscribed(key, 'presub-1', '/3200/0/5501')).toBe(false)
    await subscribe(peer, key, 'presub-1', '/3200/0/5501')
    // reg-update: everything kept.
    peer.register({ name: 'presub-1', type: 'Sensor' })
    expect(peer.subscribed(key, 'presub-1', '/3200/0/5501')).toBe(true)
    // Full re-registration: the manual one is dropped, the pre-subscribed one survives.
    peer.reregister('presub-1')
    expect(peer.subscribed(key, 'presub-1', '/3303/0/5700')).toBe(true)
    expect(peer.subscribed(key, 'presub-1', '/3200/0/5501')).toBe(false)
    // [I] A rule never subscribes a resource that cannot be observed.
    peer.register({
      name: 'presub-2',
      type: 'Sensor',
      resources: [
        { path: '/3303/0/1', obs: false },
        { path: '/3303/0/2', obs: true },
      ],
    })
    expect(peer.subscribed(key, 'presub-2', '/3303/0/1')).toBe(false)
    expect(peer.subscribed(key, 'presub-2', '/3303/0/2')).toBe(true)
    peer.notify('presub-1', '/3303/0/5700', 'kept')
    peer.notify('presub-1', '/3200/0/5501', 'dropped')
    const inbox = await pollUntil(peer, key, (i) => i.notifications.length >= 1)
    expect(inbox.notifications.map((n) => `${n.path}=${unb64(n.payload)}`)).toEqual(['/3303/0/5700=kept'])
    peer.deregister('presub-1')
    peer.deregister('presub-2')
  })

  it('refuses pre-subscriptions beyond the §1.4 limits with 400 naming the field', async () => {
    const key = freshKey()
    const put = (body: unknown) => call(peer, '/v2/subscriptions', { key, method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const refused = async (body: unknown, field: string): Promise<void> => {
      const e = expectPelionError(await put(body), 400, 'validation_error')
      expect(e.fields?.[0]?.name).toBe(field)
    }
    await refused([{ 'endpoint-name': 'x'.repeat(65) }], '[0].endpoint-name')
    await refused([{ 'endpoint-type': 't'.repeat(65) }], '[0].endpoint-type')
    await refused([{ 'resource-path': [`/${'p'.repeat(128)}`] }], '[0].resource-path')
    await refused([{ 'resource-path': ['/3/*/1'] }], '[0].resource-path')
    await refused([{ 'endpoint-name': 'no*de' }], '[0].endpoint-name')
    await refused([{ 'resource-path': ['3/0/1'] }], '[0].resource-path')
    await refused([{ 'endpoint-name': 'a', other: 1 }], '[0].other')
    await refused(
      Array.from({ length: 1025 }, () => ({ 'endpoint-type': 'Light' })),
      'body',
    )
    await refused([{ 'resource-path': Array.from({ length: 257 }, (_, i) => `/p/${i}`) }], 'resource-path')
    await refused({ 'endpoint-name': 'a' }, 'body')
    expect((await put([{ 'endpoint-type': 'x'.repeat(64), 'resource-path': Array.from({ length: 256 }, (_, i) => `/p/${i}`) }])).status).toBe(204)
    expect((await put([])).status).toBe(204)
    expect((await call(peer, '/v2/subscriptions', { key })).json<unknown>()).toEqual([])
  })

  it('callback channel: PUT tests the URL with {} and its headers, registers only on 200/204; GET and DELETE (§1.5)', async () => {
    const key = freshKey()
    let status = 200
    const receiver = await startWireCapture(() => ({ status }))
    try {
      const put = (body: unknown) => call(peer, '/v2/notification/callback', { key, method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expectPelionError(await call(peer, '/v2/notification/callback', { key }), 404, 'not_found')
      const registered = await put({ url: `${receiver.url}/hook`, headers: { authorization: 'Bearer receiver-secret' } })
      expect(registered.status).toBe(204)
      expect(receiver.requests).toHaveLength(1)
      expect(receiver.requests[0]).toMatchObject({ method: 'PUT', path: '/hook' })
      expect(receiver.requests[0]?.headers).toMatchObject({ authorization: 'Bearer receiver-secret', 'content-type': 'application/json' })
      expect(receiver.requests[0]?.body.toString()).toBe('{}')
      expect((await call(peer, '/v2/notification/callback', { key })).json<unknown>()).toEqual({ url: `${receiver.url}/hook`, headers: { authorization: 'Bearer receiver-secret' } })
      // Exactly one channel per key: no long poll while a callback is registered.
      expectPelionError(await call(peer, '/v2/notification/pull', { key }), 409, 'conflict')
      for (const refused of [201, 302, 500]) {
        status = refused
        expectPelionError(await put({ url: `${receiver.url}/other` }), 400, 'validation_error')
      }
      status = 204
      expect((await put({ url: `${receiver.url}/hook2` })).status).toBe(204)
      expectPelionError(await put({ url: 'http://127.0.0.1:1/closed' }), 400, 'validation_error')
      expectPelionError(await put({ url: `${receiver.url}/${'x'.repeat(400)}` }), 400, 'validation_error')
      expectPelionError(await put({ url: 'ftp://127.0.0.1/x' }), 400, 'validation_error')
      expectPelionError(await put({ url: `${receiver.url}/h`, headers: { a: 1 } }), 400, 'validation_error')
      expectPelionError(await put({ url: `${receiver.url}/h`, serialization: { type: 'v2' } }), 400, 'validation_error')
      expectPelionError(await put({ url: `${receiver.url}/h`, extra: true }), 400, 'validation_error')
      expect((await call(peer, '/v2/notification/callback', { key, method: 'DELETE' })).status).toBe(204)
      expectPelionError(await call(peer, '/v2/notification/callback', { key, method: 'DELETE' }), 404, 'not_found')
    } finally {
      await receiver.close()
    }
  })

  it('callback channel: envelopes arrive as HTTP PUTs; a failed delivery is retried and nothing is lost (§1.5)', async () => {
    const key = freshKey()
    let status = 204
    const receiver = await startWireCapture(() => ({ status }))
    try {
      await subscribe(peer, key, light, '/3311/0/5850')
      const put = await call(peer, '/v2/notification/callback', { key, method: 'PUT', body: JSON.stringify({ url: `${receiver.url}/hook`, headers: { 'x-token': 't' } }) })
      expect(put.status).toBe(204)
      peer.notify(light, '/3311/0/5850', 'one')
      await until(() => receiver.requests.length >= 2, 'the first delivery')
      expect(receiver.requests[1]).toMatchObject({ method: 'PUT', path: '/hook' })
      expect(receiver.requests[1]?.headers['x-token']).toBe('t')
      expect(JSON.parse(receiver.requests[1]?.body.toString() ?? '')).toEqual({ notifications: [{ ep: light, path: '/3311/0/5850', ct: 'text/plain', payload: b64('one'), 'max-age': 0 }] })
      status = 500
      peer.notify(light, '/3311/0/5850', 'two')
      await until(() => receiver.requests.length >= 3, 'the failing delivery')
      status = 200
      await until(() => receiver.requests.length >= 4, 'the retry after 1 s', 5_000)
      expect(JSON.parse(receiver.requests[3]?.body.toString() ?? '')).toMatchObject({ notifications: [{ payload: b64('two') }] })
      await call(peer, '/v2/notification/callback', { key, method: 'DELETE' })
    } finally {
      await receiver.close()
    }
  })

  it('faults: status (410 on the poll, 429 + Retry-After, 5xx, 401), latency, drop, html, path and times', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)

    peer.faults.set({ kind: 'status', status: 410, path: /notification\/pull/, times: 1 })
    const gone = await call(peer, '/v2/notification/pull', { key })
    expect([gone.status, gone.text]).toEqual([410, 'CHANNEL_DELETED'])
    expect((await call(peer, '/v2/notification/pull?noWait=true', { key })).status).toBe(204)

    peer.faults.set({ kind: 'status', status: 429, retryAfterSeconds: 3, path: /\/v2\/limits/, times: 1 })
    const limited = await call(peer, '/v2/limits')
    expectPelionError(limited, 429, 'rate_limit_exceeded')
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await call(peer, '/v2/limits')).status).toBe(200)

    for (const [status, type] of [
      [500, 'internal_server_error'],
      [502, 'system_unavailable'],
      [503, 'system_unavailable'],
      [401, 'invalid_token'],
    ] as const) {
      peer.faults.set({ kind: 'status', status, times: 1 })
      expectPelionError(await call(peer, '/v2/endpoints'), status, type)
    }

    // times and path: two hits on /v2/limits only, then normal again.
    peer.faults.set({ kind: 'status', status: 503, path: /limits/, times: 2 })
    expect((await call(peer, '/v2/endpoints')).status).toBe(200)
    expect([(await call(peer, '/v2/limits')).status, (await call(peer, '/v2/limits')).status, (await call(peer, '/v2/limits')).status]).toEqual([503, 503, 200])

    peer.faults.set({ kind: 'latency', ms: 150, path: /limits/, times: 1 })
    const t0 = performance.now()
    expect((await call(peer, '/v2/limits')).status).toBe(200)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)

    peer.faults.set({ kind: 'drop', path: /limits/, times: 1 })
    await expect(call(peer, '/v2/limits')).rejects.toThrow()
    expect((await call(peer, '/v2/limits')).status).toBe(200)

    peer.faults.set({ kind: 'html', status: 502, times: 1 })
    const html = await call(peer, `/v2/endpoints/${light}/3/0/0`, { method: 'PUT', body: '1' })
    expect(html.status).toBe(502)
    expect(html.headers.get('content-type')).toBe('text/html')
    expect(html.text).toContain('<h1>502 Bad Gateway</h1>')

    // Until cleared, an unlimited fault keeps firing.
    peer.faults.set({ kind: 'status', status: 500, path: /rest-versions/ })
    expect([(await call(peer, '/rest-versions')).status, (await call(peer, '/rest-versions')).status]).toEqual([500, 500])
    peer.faults.clear()
    expect((await call(peer, '/rest-versions')).status).toBe(200)
  })

  it('counts requests by route', () => {
    const s = peer.stats()
    expect(s.requests).toBeGreaterThan(50)
    expect(s.byRoute['GET /v2/endpoints']).toBeGreaterThan(0)
    expect(s.byRoute['PUT /v2/endpoints/{ep}/{path}']).toBeGreaterThan(0)
    expect(s.byRoute['GET /v2/notification/pull']).toBeGreaterThan(0)
    expect(s.byRoute['POST /v2/device-requests/{ep}']).toBe(1)
    expect(s.notificationsDelivered).toBeGreaterThan(0)
    expect(s.asyncResponsesDelivered).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------------------------------------

describe('mbed peer, Pelion flavour', () => {
  let peer: MbedPeer
  let light: string
  let tracker: string

  beforeAll(async () => {
    peer = await startMbedPeer({ flavour: 'pelion', accessKeys: KEYS, pollTimeoutMs: 1000, deviceTimeoutMs: 100, maxEnvelopeItems: 500 })
    light = peer.endpoints().find((e) => e.type === 'Light')?.name ?? ''
    tracker = peer.endpoints().find((e) => e.queueMode)?.name ?? ''
  })
  afterAll(async () => {
    await peer.close()
  })
  afterEach(() => {
    peer.faults.clear()
    peer.setCommandBehaviour(null)
    peer.stopStream()
  })

  it('device-requests: 202 without body, the answer as an async item with id = async-id (§1.3)', async () => {
    const key = freshKey()
    await openPullChannel(peer, key)
    const before = peer.commands().length
    const put = await call(peer, `/v2/device-requests/${light}?async-id=fl-put-1`, {
      key,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'PUT', uri: '/3311/0/5851', 'content-type': 'text/plain', 'payload-b64': b64('80') }),
    })
    expect(put.status).toBe(202)
    expect(put.text).toBe('')
    const get = await call(peer, `/v2/device-requests/${light}?async-id=fl-get-1&retry=2&expiry-seconds=60`, {
      key,
      method: 'POST',
      body: JSON.stringify({ method: 'GET', uri: '/3311/0/5851', accept: 'text/plain' }),
    })
    expect(get.status).toBe(202)
    const missing = await call(peer, `/v2/device-requests/${light}?async-id=fl-missing`, { key, method: 'POST', body: JSON.stringify({ method: 'GET', uri: '/9/9/9' }) })
    expect(missing.status).toBe(202)
    const attrs = await call(peer, `/v2/device-requests/${light}?async-id=fl-attrs`, { key, method: 'POST', body: JSON.stringify({ method: 'PUT', uri: '/3311/0/5850?lt=10&gt=60&pmax=120' }) })
    expect(attrs.status).toBe(202)

    const inbox = await pollUntil(peer, key, (i) => i.asyncResponses.length >= 4)
    const byId = new Map(inbox.asyncResponses.map((a) => [a.id, a]))
    expect(byId.get('fl-put-1')).toMatchObject({ status: 200, payload: '' })
    expect(byId.get('fl-get-1')).toMatchObject({ status: 200, ct: 'text/plain' })
    expect(unb64(byId.get('fl-get-1')?.payload ?? '')).toBe('80')
    // An unknown resource is the device's answer, not an immediate error (JV AsyncIDResponse: 404).
    expect(byId.get('fl-missing')).toEqual({ id: 'fl-missing', status: 404 })
    expect(byId.get('fl-attrs')?.status).toBe(200)

    const sent = peer.commands().slice(before)
    expect(sent.map((c) => [c.method, c.path, c.query, c.body.toString(), c.asyncId, c.form])).toEqual([
      ['PUT', '/3311/0/5851', '', '80', 'fl-put-1', 'device-request'],
      ['GET', '/3311/0/5851', '', '', 'fl-get-1', 'device-request'],
      ['GET', '/9/9/9', '', '', 'fl-missing', 'device-request'],
      ['PUT', '/3311/0/5850', 'lt=10&gt=60&pmax=120', '', 'fl-attrs', 'device-request'],
    ])
    expect(sent[0]?.contentType).toBe('text/plain')
    expect(sent[1]?.accept).toBe('text/plain')
  })

  it('device-requests: 400 on a malformed request, 404 for an unknown device (§1.3, [I] codes)', async () => {
    const post = (path: string, body: string): Promise<Reply> => call(peer, path, { method: 'POST', body })
    const noId = expectPelionError(await post(`/v2/device-requests/${light}`, JSON.stringify({ method: 'GET', uri: '/3/0/0' })), 400, 'validation_error')
    expect(noId.fields?.map((f) => f.name)).toEqual(['async-id'])
    const bad = expectPelionError(await post(`/v2/device-requests/${light}?async-id=a&retry=x`, JSON.stringify({ method: 'get', uri: '3/0/0', 'payload-b64': '***' })), 400, 'validation_error')
    expect(bad.fields?.map((f) => f.name)).toEqual(['retry', 'method', 'uri', 'payload-b64'])
    expectPelionError(await post(`/v2/device-requests/${light}?async-id=a`, 'not json'), 400, 'validation_error')
    expectPelionError(await post(`/v2/device-requests/${light}?async-id=a`, '[]'), 400, 'validation_error')
    expectPelionError(await post(`/v2/device-requests/unknown-device?async-id=a`, JSON.stringify({ method: 'GET', uri: '/3/0/0' })), 404, 'not_found')
    expect((await call(peer, `/v2/device-requests/${light}?async-id=a`)).status).toBe(405)
  })

  it('GET /v3/api-keys/me describes the key without echoing it (§1.7)', async () => {
    const key = freshKey()
    const me = await call(peer, '/v3/api-keys/me', { key })
    expect(me.status).toBe(200)
    const body = me.json<Record<string, unknown>>()
    expect(body).toMatchObject({ status: 'ACTIVE', object: 'api-key' })
    expect(body.id).toMatch(/^[0-9a-f]{32}$/)
    expect(typeof body.name).toBe('string')
    expect(body).not.toHaveProperty('key')
    expect(me.text).not.toContain(key)
    expectPelionError(await call(peer, '/v3/api-keys/me', { key: 'ak_nope' }), 401, 'invalid_token')
  })

  it('registers the WebSocket channel: 201 then 200, GET status, DELETE (§1.5)', async () => {
    const key = freshKey()
    expectPelionError(await call(peer, '/v2/notification/websocket', { key }), 404, 'not_found')
    const created = await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    expect([created.status, created.json<unknown>()]).toEqual([201, { status: 'DISCONNECTED' }])
    const again = await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    expect([again.status, again.json<unknown>()]).toEqual([200, { status: 'DISCONNECTED' }])

    const s = connect(peer, { key, via: 'header' })
    await s.opened
    expect((await call(peer, '/v2/notification/websocket', { key })).json<unknown>()).toEqual({ status: 'CONNECTED' })

    // One channel per key: no long poll while the WebSocket channel exists, and vice versa.
    expectPelionError(await call(peer, '/v2/notification/pull', { key }), 409, 'conflict')
    const pullKey = freshKey()
    await openPullChannel(peer, pullKey)
    expectPelionError(await call(peer, '/v2/notification/websocket', { key: pullKey, method: 'PUT' }), 409, 'conflict')

    // Deleting the channel closes the socket with 1000.
    expect((await call(peer, '/v2/notification/websocket', { key, method: 'DELETE' })).status).toBe(204)
    expect((await s.closed).code).toBe(1000)
    expectPelionError(await call(peer, '/v2/notification/websocket', { key, method: 'DELETE' }), 404, 'not_found')
  })

  it('connects by Authorization header and by the "wss","pelion_<key>" subprotocols; each frame is one envelope (§1.5)', async () => {
    for (const via of ['header', 'subprotocol'] as const) {
      const key = freshKey()
      await subscribe(peer, key, light, '/3311/0/5850')
      expect((await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })).status).toBe(201)
      const s = connect(peer, { key, via })
      await s.opened
      expect(s.protocol()).toBe(via === 'subprotocol' ? 'wss' : '')
      peer.notify(light, '/3311/0/5850', via)
      const put = await call(peer, `/v2/device-requests/${light}?async-id=ws-${via}`, { key, method: 'POST', body: JSON.stringify({ method: 'GET', uri: '/3311/0/5850' }) })
      expect(put.status).toBe(202)
      await until(() => s.inbox.asyncResponses.some((a) => a.id === `ws-${via}`), 'async response over the socket')
      expect(s.inbox.notifications).toEqual([{ ep: light, path: '/3311/0/5850', ct: 'text/plain', payload: b64(via), 'max-age': expect.anything() as unknown }])
      s.ws.close()
      await s.closed
    }
  })

  it('keeps the queue while no socket is connected and delivers it on reconnect (§1.5)', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5851')
    await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    peer.notify(light, '/3311/0/5851', 'a')
    peer.notify(light, '/3311/0/5851', 'b')
    const s = connect(peer, { key, via: 'header' })
    await until(() => s.inbox.notifications.length === 2, 'queued notifications')
    expect(s.inbox.notifications.map((n) => unb64(n.payload))).toEqual(['a', 'b'])
    s.ws.close()
    await s.closed
  })

  it('a new socket closes the older one with 1001; no channel → 1011; a bad key fails the handshake with 401 (§1.5)', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5850')
    await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    const first = connect(peer, { key, via: 'header' })
    await first.opened
    const second = connect(peer, { key, via: 'subprotocol' })
    await second.opened
    expect((await first.closed).code).toBe(1001)
    peer.notify(light, '/3311/0/5850', 'to the second')
    await until(() => second.inbox.notifications.length === 1, 'notification on the newer socket')
    expect(first.inbox.notifications).toEqual([])
    second.ws.close()
    await second.closed

    const orphan = connect(peer, { key: freshKey(), via: 'header' })
    await orphan.opened
    expect((await orphan.closed).code).toBe(1011)

    const refused = await refusedHandshake(peer, bearer('ak_nope'))
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body)).toMatchObject({ code: 401, object: 'error', type: 'invalid_token' })
    expect((await refusedHandshake(peer, {}, ['wss', 'pelion_ak_nope'])).status).toBe(401)
    expect((await refusedHandshake(peer, {})).status).toBe(401)
  })

  it('wsClose faults close the live socket with each documented code; leftovers hit the next handshake', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5850')
    await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    for (const code of [1000, 1001, 1006, 1008, 1011, 1012] as const) {
      const s = connect(peer, { key, via: 'header' })
      await s.opened
      peer.faults.set({ kind: 'wsClose', code, key })
      expect((await s.closed).code).toBe(code)
    }
    // times: 2 with one live socket → it closes now, and the next socket right after its handshake.
    const live = connect(peer, { key, via: 'header' })
    await live.opened
    peer.faults.set({ kind: 'wsClose', code: 1012, times: 2, key })
    expect((await live.closed).code).toBe(1012)
    peer.notify(light, '/3311/0/5850', 'kept')
    const next = connect(peer, { key, via: 'header' })
    expect((await next.closed).code).toBe(1012)
    expect(next.inbox.notifications).toEqual([])
    const healthy = connect(peer, { key, via: 'header' })
    await until(() => healthy.inbox.notifications.length === 1, 'the queued notification after the faults')
    healthy.ws.close()
    await healthy.closed

    // Without a key, every live socket goes at once (a service restart, say).
    const keys = [freshKey(), freshKey()]
    const sockets = []
    for (const k of keys) {
      await call(peer, '/v2/notification/websocket', { key: k, method: 'PUT' })
      const s = connect(peer, { key: k, via: 'subprotocol' })
      await s.opened
      sockets.push(s)
    }
    peer.faults.set({ kind: 'wsClose', code: 1012 })
    expect(await Promise.all(sockets.map(async (s) => (await s.closed).code))).toEqual([1012, 1012])
    const after = connect(peer, { key: keys[0] ?? '', via: 'header' })
    await after.opened
    after.ws.close()
    expect((await after.closed).code).toBe(1005)
  })

  it('HTTP faults apply to the WebSocket handshake too', async () => {
    const key = freshKey()
    await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    peer.faults.set({ kind: 'status', status: 503, path: /websocket-connect/, times: 1 })
    expect((await refusedHandshake(peer, bearer(key))).status).toBe(503)
    peer.faults.set({ kind: 'html', status: 502, path: /websocket-connect/, times: 1 })
    const html = await refusedHandshake(peer, bearer(key))
    expect(html.status).toBe(502)
    expect(html.body).toContain('<html>')
    peer.faults.set({ kind: 'drop', path: /websocket-connect/, times: 1 })
    const dropped = connect(peer, { key, via: 'header' })
    await expect(dropped.opened).rejects.toThrow()
    const ok = connect(peer, { key, via: 'header' })
    await ok.opened
    ok.ws.close()
    await ok.closed
  })

  it('noResp is refused for a queue-mode device here too (§1.3)', async () => {
    expectPelionError(await call(peer, `/v2/endpoints/${tracker}/3/0/4?noResp=true`, { method: 'POST' }), 409, 'conflict')
  })

  it('streams notifications in envelopes over the WebSocket: every one emitted is delivered, well formed', async () => {
    const key = freshKey()
    await subscribeAll(peer, key)
    await call(peer, '/v2/notification/websocket', { key, method: 'PUT' })
    const s = connect(peer, { key, via: 'header' })
    await s.opened
    const before = peer.stats()
    const rate = 20_000
    const t0 = performance.now()
    peer.startStream({ ratePerSecond: rate })
    await until(() => peer.stats().notificationsEmitted - before.notificationsEmitted >= 2000, 'the stream to emit 2,000 notifications')
    peer.stopStream()
    const elapsed = performance.now() - t0
    const emitted = peer.stats().notificationsEmitted - before.notificationsEmitted
    await until(() => s.inbox.notifications.length === emitted, `all ${emitted} streamed notifications`)
    // Counts, not speeds: the generator produced something, never ran ahead of its schedule, and lost nothing.
    expect(emitted).toBeGreaterThan(0)
    expect(emitted).toBeLessThanOrEqual(Math.floor((rate * elapsed) / 1000))
    expect(peer.stats().notificationsDelivered - before.notificationsDelivered).toBe(emitted)
    expect(s.inbox.envelopes.every((e) => (e.notifications?.length ?? 0) <= 500)).toBe(true)
    const names = new Set(peer.endpoints().map((e) => e.name))
    const ages = new Set<string>()
    for (const n of s.inbox.notifications) {
      expect(names.has(n.ep)).toBe(true)
      expect(unb64(n.payload)).toMatch(/^\d+$/)
      ages.add(typeof n['max-age'])
    }
    expect([...ages]).toEqual(['number'])
    s.ws.close()
    await s.closed
  })

  it('streams over long poll, on chosen endpoints and path', async () => {
    const key = freshKey()
    await subscribe(peer, key, light, '/3311/0/5851')
    await openPullChannel(peer, key)
    const before = peer.stats().notificationsEmitted
    peer.startStream({ ratePerSecond: 5_000, endpoints: [light], path: '/3311/0/5851' })
    const first = await pollUntil(peer, key, (i) => i.notifications.length >= 100)
    peer.stopStream()
    const emitted = peer.stats().notificationsEmitted - before
    const rest = await pollUntil(peer, key, (i) => first.notifications.length + i.notifications.length >= emitted)
    const all = [...first.notifications, ...rest.notifications]
    expect(all).toHaveLength(emitted)
    expect(new Set(all.map((n) => `${n.ep}${n.path}`))).toEqual(new Set([`${light}/3311/0/5851`]))
    expect(() => peer.startStream({ ratePerSecond: 10, endpoints: [light], path: '/nope' })).toThrow()
    expect(() => peer.startStream({ ratePerSecond: 0 })).toThrow(RangeError)
  })
})
