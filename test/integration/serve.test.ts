import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServe, type ServeHandle } from '../../src-main/serve/server'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

function connect(url: string, origin?: string): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {})
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }))
    ws.once('error', () => resolve({}))
  })
}

function call(ws: WebSocket, id: number, channel: string, input: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: number; result?: unknown }
      if (frame.type === 'result' && frame.id === id) {
        ws.off('message', onMessage)
        resolve(frame.result)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ type: 'invoke', id, channel, input }))
  })
}

describe('serve mode transport', () => {
  let core: TestCore
  let handle: ServeHandle
  let cleanup: () => Promise<void>
  let origin: string

  beforeAll(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const renderer = join(t.dir, 'renderer')
    await mkdir(renderer)
    await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Fieldline</title>')
    await writeFile(join(t.dir, 'secret.txt'), 'not for you')
    core = await testCore(join(t.dir, 'data'))
    handle = await startServe({ core, rendererDir: renderer })
    origin = `http://127.0.0.1:${handle.port}`
  })
  afterAll(async () => {
    await handle.close()
    await core.close()
    await cleanup()
  })

  it('prints a loopback URL carrying a fresh random token', () => {
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}$/)
  })

  it('serves the renderer with a CSP and refuses paths outside it', async () => {
    const page = await fetch(`${origin}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const r = await fetch(`${origin}${p}`)
      expect(r.status, p).toBe(404)
    }
  })

  it('refuses a WebSocket without the token, with a wrong token, or from a foreign origin, before any handler runs', async () => {
    const before = (await core.call('audit:list', {})).total
    expect((await connect(`ws://127.0.0.1:${handle.port}/ipc`, origin)).status).toBe(401)
    expect((await connect(`ws://127.0.0.1:${handle.port}/ipc?token=${'0'.repeat(48)}`, origin)).status).toBe(401)
    expect((await connect(`ws://127.0.0.1:${handle.port}/ipc?token=${handle.token}`, 'http://evil.example')).status).toBe(403)
    expect((await connect(`ws://127.0.0.1:${handle.port}/ipc?token=${handle.token}`)).status).toBe(403)
    expect((await connect(`ws://127.0.0.1:${handle.port}/other?token=${handle.token}`, origin)).status).toBe(404)
    expect((await core.call('audit:list', {})).total).toBe(before)
  })

  it('carries calls and events for a client with the token and our origin', async () => {
    const { ws } = await connect(`ws://127.0.0.1:${handle.port}/ipc?token=${handle.token}`, origin)
    expect(ws).toBeDefined()
    const events: unknown[] = []
    ws!.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString()) as { type: string }
      if (f.type === 'event') events.push(f)
    })
    expect(await call(ws!, 1, 'devices:add', { typeId: 'meter', deviceId: 'ws-1' })).toMatchObject({ ok: true, value: { deviceId: 'ws-1' } })
    expect(await call(ws!, 2, 'devices:add', { typeId: 'meter', deviceId: 5 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await call(ws!, 3, 'no:such', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
    expect(events).toContainEqual({ type: 'event', event: 'devices:changed', payload: { reason: 'added' } })
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)))
    ws!.send('not json')
    expect(await closed).toBe(1007)
  })
})
