/**
 * The renderer's serve-mode transport (WsBridge) and the core agree on sizes: texts the UI can produce reach the
 * core and are answered with a translated refusal, a call too large for one frame is refused before it is sent,
 * and a socket the core closes with 1009 fails its calls with a translated TOO_LARGE and tells the operator.
 */
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket as WsWebSocket, WebSocketServer } from 'ws'
import type { ErrorInfo } from '../../src-shared/contract'
import { MAX_FRAME_BYTES } from '../../src-shared/models/limits'
import { WsBridge, type ConnectionStatus } from '../../src-renderer/src/lib/ws-transport'
import { tempDir } from '../helpers/core'
import { placeholderRenderer, startServeChild, type ServeChild } from '../helpers/serve-process'

/** The browser sends its page's Origin with every WebSocket; Node's own WebSocket does not, so ws stands in. */
function browserSocket(origin?: string) {
  return class extends WsWebSocket {
    constructor(url: string) {
      super(url, origin ? { origin } : {})
      // A browser's socket reports a failed connection as an event nobody has to handle; ws would throw.
      this.on('error', () => undefined)
    }
  }
}

function statusReached(bridge: WsBridge, wanted: ConnectionStatus): Promise<void> {
  return new Promise((resolve) => {
    if (bridge.status === wanted) return resolve()
    const off = bridge.onStatus((s) => {
      if (s !== wanted) return
      off()
      resolve()
    })
  })
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('WsBridge against a real serve process', () => {
  let serve: ServeChild
  let cleanup: () => Promise<void>
  let bridge: WsBridge | undefined

  beforeAll(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    serve = await startServeChild(join(t.dir, 'data'), await placeholderRenderer(t.dir))
  })
  afterAll(async () => {
    expect(await serve.stop()).toBe(0)
    await cleanup()
  })

  /** One bridge for the suite, as one page has one. */
  async function openBridge(): Promise<WsBridge> {
    if (bridge) return bridge
    vi.stubGlobal('WebSocket', browserSocket(serve.origin))
    bridge = new WsBridge(`ws://127.0.0.1:${serve.port}/ipc?token=${serve.token}`)
    await statusReached(bridge, 'open')
    return bridge
  }

  it('carries a 5.5 Mi-character package to the core, which names its size limit', async () => {
    const b = await openBridge()
    const text = `{"bundleId": "${'x'.repeat(5.5 * 1024 * 1024)}"}`
    const result = await b.invoke('packages:validate', { text })
    expect(result).toMatchObject({ ok: true, value: { valid: false, diagnostics: [{ ref: { key: 'dm.tooLarge' } }] } })
    expect(serve.alive(), serve.stderr()).toBe(true)
  })

  it('refuses configurations of accented text by their size in bytes, naming the limit', async () => {
    const b = await openBridge()
    const config = (chars: number) => `{"orange":{"serialnumber":"${'é'.repeat(chars)}"}}`
    // 2.6 Mi characters, 5.2 MiB: over the configuration's own limit, answered by the check that names it.
    expect(await b.invoke('devices:validateConfig', { text: config(2.6 * 1024 * 1024) })).toMatchObject({
      ok: false,
      error: { code: 'TOO_LARGE', details: { ref: { key: 'errors.configTooLarge', params: { max: '5 MB' } } } },
    })
    // 3 Mi characters, over 6 MiB: over what the channel accepts at all.
    expect(await b.invoke('devices:validateConfig', { text: config(3 * 1024 * 1024) })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', details: { ref: { key: 'errors.textTooLarge', params: { max: '6 MB' } } } },
    })
    expect(serve.alive(), serve.stderr()).toBe(true)
  })

  it('refuses to send a call larger than one frame, in bytes, and keeps the connection', async () => {
    const b = await openBridge()
    let reconnected = false
    b.onReconnect(() => (reconnected = true))
    // Fewer characters than the frame limit, more bytes.
    const description = 'é'.repeat(MAX_FRAME_BYTES / 2 + 1)
    expect(description.length).toBeLessThan(MAX_FRAME_BYTES)
    const refused = await b.invoke('devices:add', { typeId: 'big', deviceId: 'one', description })
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOO_LARGE', details: { ref: { key: 'errors.frameTooLarge' } } } })
    // Nothing was sent: had it been, the core would have closed the socket (1009) and every call in flight failed.
    expect(await b.invoke('app:info', {})).toMatchObject({ ok: true })
    expect(b.status).toBe('open')
    expect(reconnected).toBe(false)
    expect(serve.alive(), serve.stderr()).toBe(true)
  })
})

describe('WsBridge when the core closes the socket with 1009', () => {
  it('fails every call in flight with a translated TOO_LARGE, tells its listeners once, and reconnects', async () => {
    // A core with a smaller frame limit than this renderer's (an older or newer build): the only way a renderer
    // that checks its frames can still meet a 1009.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 })
    server.on('connection', (ws) => ws.on('error', () => undefined))
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    vi.stubGlobal('WebSocket', browserSocket())
    const bridge = new WsBridge(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ipc`)
    try {
      await statusReached(bridge, 'open')
      const told: ErrorInfo[] = []
      bridge.onRefused((e) => told.push(e))
      const small = bridge.invoke('app:info', {})
      const large = bridge.invoke('devices:add', { typeId: 't', deviceId: 'd', description: 'x'.repeat(2000) })
      const expected = { ok: false, error: { code: 'TOO_LARGE', details: { ref: { key: 'errors.frameRefused', params: { max: expect.any(String) } } } } }
      expect(await large).toMatchObject(expected)
      expect(await small).toMatchObject(expected)
      expect(told).toEqual([expect.objectContaining({ code: 'TOO_LARGE' })])
      await statusReached(bridge, 'open')
    } finally {
      for (const c of server.clients) c.terminate()
      server.close()
    }
  })
})
