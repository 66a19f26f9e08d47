import type { AddressInfo } from 'node:net'
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws'
import { type Translate } from '../../src-renderer/src/i18n'
import { errorText } from '../../src-renderer/src/lib/errors'
import { WsBridge, type ConnectionStatus } from '../../src-renderer/src/lib/ws-transport'

/**
 * The serve-mode transport against a real WebSocket server on 127.0.0.1 (the `ws` package serve mode uses), with
 * Node's own WebSocket client standing in for the browser's.
 */
interface Frame {
  type: string
  id: number
  channel: string
  input: unknown
}

let server: WebSocketServer
let url: string
let sockets: ServerSocket[]
let frames: Frame[]

beforeEach(async () => {
  vi.unstubAllGlobals()
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ipc?token=t`
  sockets = []
  frames = []
  server.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame))
  })
})

/** A socket that never connects: a transport left reconnecting after its test stops trying. */
class Inert {
  static readonly OPEN = 1
  readyState = 0
  send(): void {}
}

afterEach(async () => {
  vi.stubGlobal('WebSocket', Inert)
  for (const socket of server.clients) socket.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

function connect(): WsBridge {
  return new WsBridge(url)
}

function reply(id: number, result: unknown, socket = sockets.at(-1)): void {
  socket?.send(JSON.stringify({ type: 'result', id, result }))
}

const t: Translate = (key, options) => get(format)(key, options)

const settingsValue = { language: 'en', theme: 'dark', savedSearches: [] }

describe('the serve-mode transport', () => {
  it('sends calls made before the socket opened once it opens, and answers each caller with its own result', async () => {
    const transport = connect()
    const first = transport.invoke('settings:get', {})
    const second = transport.invoke('outbox:list', {})
    await vi.waitFor(() => expect(frames).toHaveLength(2))
    expect(frames.map((f) => f.channel)).toEqual(['settings:get', 'outbox:list'])
    // Answered out of order: each answer goes to the call with its id.
    reply(frames[1]!.id, { ok: true, value: { items: [] } })
    reply(frames[0]!.id, { ok: true, value: settingsValue })
    expect(await second).toEqual({ ok: true, value: { items: [] } })
    expect(await first).toEqual({ ok: true, value: settingsValue })
  })

  it('refuses an answer that does not match the contract instead of handing it on', async () => {
    const transport = connect()
    const call = transport.invoke('settings:get', {})
    await vi.waitFor(() => expect(frames).toHaveLength(1))
    reply(frames[0]!.id, { ok: true, value: { language: 'klingon' } })
    const result = await call
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('INTERNAL')
  })

  it('hands on the core refusal as it came', async () => {
    const transport = connect()
    const call = transport.invoke('devices:get', { typeId: 'meter', deviceId: 'm-1' })
    await vi.waitFor(() => expect(frames).toHaveLength(1))
    const error = { code: 'NOT_FOUND', message: 'no such device', details: { ref: { key: 'devices.notFound' } } }
    reply(frames[0]!.id, { ok: false, error })
    expect(await call).toEqual({ ok: false, error })
  })

  it('dispatches valid events to their listeners only, drops malformed ones, and stops after unsubscribing', async () => {
    const transport = connect()
    const changed: unknown[] = []
    const outbox: unknown[] = []
    const stop = transport.on('devices:changed', (p) => changed.push(p))
    transport.on('outbox:changed', (p) => outbox.push(p))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await vi.waitFor(() => expect(sockets).toHaveLength(1))
    const socket = sockets[0]!
    socket.send(JSON.stringify({ type: 'event', event: 'devices:changed', payload: { reason: 'added' } }))
    socket.send(JSON.stringify({ type: 'event', event: 'devices:changed', payload: { reason: 'exploded' } }))
    socket.send(JSON.stringify({ type: 'event', event: 'no:such', payload: {} }))
    socket.send('not json')
    socket.send(JSON.stringify({ type: 'event', event: 'outbox:changed', payload: { pending: 2 } }))
    await vi.waitFor(() => expect(outbox).toEqual([{ pending: 2 }]))
    expect(changed).toEqual([{ reason: 'added' }])
    stop()
    socket.send(JSON.stringify({ type: 'event', event: 'devices:changed', payload: { reason: 'removed' } }))
    socket.send(JSON.stringify({ type: 'event', event: 'outbox:changed', payload: { pending: 1 } }))
    await vi.waitFor(() => expect(outbox).toHaveLength(2))
    expect(changed).toEqual([{ reason: 'added' }])
    expect(warn).toHaveBeenCalledTimes(2)
    warn.mockRestore()
  })

  it('fails the calls under way when the connection drops, reconnects, and tells the views to read again', async () => {
    const transport = connect()
    const statuses: ConnectionStatus[] = []
    transport.onStatus((s) => statuses.push(s))
    let reconnects = 0
    transport.onReconnect(() => reconnects++)
    await vi.waitFor(() => expect(transport.status).toBe('open'))
    expect(reconnects).toBe(0)
    const call = transport.invoke('outbox:list', {})
    await vi.waitFor(() => expect(frames).toHaveLength(1))
    sockets[0]!.terminate()
    const lost = await call
    expect(lost.ok).toBe(false)
    if (!lost.ok) expect(lost.error.code).toBe('NETWORK')
    await vi.waitFor(() => expect(sockets).toHaveLength(2), { timeout: 5000 })
    await vi.waitFor(() => expect(transport.status).toBe('open'))
    expect(statuses).toEqual(['open', 'reconnecting', 'open'])
    expect(reconnects).toBe(1)
    // The new socket carries calls again.
    const again = transport.invoke('outbox:list', {})
    await vi.waitFor(() => expect(frames).toHaveLength(2))
    reply(frames[1]!.id, { ok: true, value: { items: [] } })
    expect(await again).toEqual({ ok: true, value: { items: [] } })
  })

  it('does not connect without the session token, and says why', async () => {
    const transport = new WsBridge(null)
    expect(transport.status).toBe('unauthorised')
    const result = await transport.invoke('settings:get', {})
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('FORBIDDEN')
    expect(sockets).toHaveLength(0)
  })

  it('says the calls under way lost the Fieldline core, not the network, in both languages', async () => {
    const transport = connect()
    const call = transport.invoke('import:start', { fileName: 'devices.csv', encoding: 'utf-8' })
    await vi.waitFor(() => expect(frames).toHaveLength(1))
    sockets[0]!.terminate()
    const lost = await call
    expect(lost.ok).toBe(false)
    if (lost.ok) return
    expect(lost.error.code).toBe('NETWORK')
    locale.set('en')
    expect(errorText(t, lost.error)).toMatch(/^The connection to the Fieldline core was lost before it answered/)
    locale.set('fr')
    expect(errorText(t, lost.error)).toMatch(/^La connexion au cœur de Fieldline a été perdue/)
    expect(errorText(t, lost.error)).not.toBe('La connexion réseau a échoué.')
    locale.set('en')
  })

  it('stops retrying and says Fieldline was restarted once the server answers but refuses the token', async () => {
    // The server is up (it answers the probe) but refuses this token at the upgrade, as serve mode does after a
    // restart, with its new token.
    const refusing = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: () => false })
    await new Promise<void>((resolve) => refusing.once('listening', () => resolve()))
    let probes = 0
    const transport = new WsBridge(`ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/ipc?token=old`, () => {
      probes++
      return Promise.resolve(true)
    })
    const statuses: ConnectionStatus[] = []
    transport.onStatus((s) => statuses.push(s))
    await vi.waitFor(() => expect(transport.status).toBe('restarted'), { timeout: 5000 })
    // The first refusal alone could be an outage; the one after the server answered is not.
    expect(statuses).toEqual(['reconnecting', 'restarted'])
    expect(probes).toBe(1)
    // No more attempts, and a call made now fails at once, in words, instead of waiting for a socket that will
    // never open.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(probes).toBe(1)
    expect(statuses.at(-1)).toBe('restarted')
    const later = await transport.invoke('settings:get', {})
    expect(later.ok).toBe(false)
    if (!later.ok) expect(errorText(t, later.error)).toMatch(/^Fieldline was restarted/)
    await new Promise<void>((resolve) => refusing.close(() => resolve()))
  })

  it('keeps reconnecting while the server does not answer, and connects when it comes back with the same token', async () => {
    let up = false
    let probes = 0
    const transport = new WsBridge(url, () => {
      probes++
      return Promise.resolve(up)
    })
    await vi.waitFor(() => expect(transport.status).toBe('open'))
    const port = (server.address() as AddressInfo).port
    for (const socket of server.clients) socket.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(2), { timeout: 5000 })
    expect(transport.status).toBe('reconnecting')
    // Back on the same port, with a token it accepts: a core that only dropped the connection.
    server = new WebSocketServer({ host: '127.0.0.1', port })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    up = true
    await vi.waitFor(() => expect(transport.status).toBe('open'), { timeout: 8000 })
  })
})
