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
  /** Lower-case names as node:http reports them. */
  headers: Record<string, string>
  body: string
}

export interface WireCapture {
  url: string
  requests(): CapturedRequest[]
  clear(): void
  close(): Promise<void>
}

/**
 * A raw node:http server between a client and a peer: it records every request (method, path, query, headers,
 * body) and forwards it unchanged to `target`, so the client gets the peer's real answers while the test sees the
 * request the client really sent — not what the client's code believes it sent.
 */
export async function startWireCapture(target: string): Promise<WireCapture> {
  const captured: CapturedRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req)
      const raw = req.url ?? '/'
      const q = raw.indexOf('?')
      const rawQuery = q < 0 ? '' : raw.slice(q + 1)
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]))
      captured.push({ method: req.method ?? '', path: q < 0 ? raw : raw.slice(0, q), rawQuery, query: [...new URLSearchParams(rawQuery)], headers, body: body.toString('utf8') })
      const forward: Record<string, string> = {}
      for (const [k, v] of Object.entries(headers)) if (!['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k)) forward[k] = v
      const answer = await fetch(`${target}${raw}`, { method: req.method ?? 'GET', headers: forward, ...(body.length > 0 ? { body } : {}) })
      const bytes = Buffer.from(await answer.arrayBuffer())
      const out: Record<string, string> = {}
      answer.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection' && name !== 'keep-alive') out[name] = value
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
    requests: () => captured.map((r) => ({ ...r, query: r.query.map(([k, v]) => [k, v] as [string, string]), headers: { ...r.headers } })),
    clear: () => void captured.splice(0),
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
