import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request exactly as it arrived on the socket. */
export interface CapturedRequest {
  method: string
  /** The path without the query, as sent (not decoded). */
  path: string
  /** The query string as sent, without '?' ('' when there is none). */
  rawQuery: string
  /** Decoded name/value pairs in order, empty values included. */
  query: [string, string][]
  /** The same pairs by name (the last one wins), for tests that do not care about order. */
  params: Record<string, string>
  /** Lower-case names as node:http reports them. */
  headers: Record<string, string>
  body: Buffer
  /** The body as UTF-8 text. */
  text: string
}

/** What the capture answers when it stands in for the service itself. */
export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface WireCapture {
  url: string
  /** Every request so far, in arrival order (a live list). */
  requests: CapturedRequest[]
  clear(): void
  close(): Promise<void>
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])

/**
 * A raw node:http server that records every request (method, path, query, headers, body): what a client really puts
 * on the wire, not what its code believes it sent. Given a peer's URL it forwards each request unchanged, so the
 * client gets the peer's real answers; given a function it answers by itself, with no peer logic in between.
 */
export async function startWireCapture(target: string | ((req: CapturedRequest) => Reply) = () => ({ status: 200 })): Promise<WireCapture> {
  const requests: CapturedRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req)
      const raw = req.url ?? '/'
      const q = raw.indexOf('?')
      const rawQuery = q < 0 ? '' : raw.slice(q + 1)
      const query = [...new URLSearchParams(rawQuery)]
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]))
      const captured: CapturedRequest = {
        method: req.method ?? '',
        path: q < 0 ? raw : raw.slice(0, q),
        rawQuery,
        query,
        params: Object.fromEntries(query),
        headers,
        body,
        text: body.toString('utf8'),
      }
      requests.push(captured)
      if (typeof target === 'function') {
        const reply = target(captured)
        const bytes = Buffer.from(reply.body ?? '')
        res.writeHead(reply.status, { ...reply.headers, 'content-length': String(bytes.length) })
        res.end(bytes)
        return
      }
      const forward: Record<string, string> = {}
      for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) forward[k] = v
      const answer = await fetch(`${target}${raw}`, { method: req.method ?? 'GET', headers: forward, ...(body.length > 0 ? { body } : {}) })
      const bytes = Buffer.from(await answer.arrayBuffer())
      const out: Record<string, string> = {}
      answer.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) out[name] = value
      })
      res.writeHead(answer.status, { ...out, 'content-length': String(bytes.length) })
      res.end(bytes)
    })().catch(() => res.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clear: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
