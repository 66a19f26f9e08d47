import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request exactly as it arrived on the socket. */
export interface CapturedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: string
}

/**
 * A raw node:http server on 127.0.0.1 that records every request (method, path, query, headers, body) and answers
 * what `answer` says: what a client puts on the wire, checked without any peer logic in between.
 */
export async function startWireCapture(answer: (req: CapturedRequest) => Reply = () => ({ status: 200 })): Promise<{ url: string; requests: CapturedRequest[]; close(): Promise<void> }> {
  const requests: CapturedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const captured: CapturedRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks) }
      requests.push(captured)
      const reply = answer(captured)
      const body = Buffer.from(reply.body ?? '')
      res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
