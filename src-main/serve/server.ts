import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { z } from 'zod'
import type { Core } from '../core/app'
import { staticHandler } from './static'

export interface ServeOptions {
  core: Core
  rendererDir: string
  port?: number
}

export interface ServeHandle {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const IPC_PATH = '/ipc'
/** Largest frame a client may send: an import chunk (1 Mi characters) plus its envelope, in UTF-8. */
const MAX_FRAME_BYTES = 5 * 1024 * 1024

const invokeFrame = z.object({ type: z.literal('invoke'), id: z.number().int(), channel: z.string(), input: z.unknown() })

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false
  const a = new TextEncoder().encode(given)
  const b = new TextEncoder().encode(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * CSP for pages served over HTTP. It matches the Electron window's, plus the WebSocket of this launch:
 * 'self' in connect-src does not cover ws: in every browser.
 */
function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Serve mode: the renderer over HTTP and the bridge over a WebSocket, on 127.0.0.1 only. A random token per
 * launch is required on the socket and the Origin must be this server's own, both checked during the HTTP
 * upgrade, before any handler can run — so another local user or a web page open in the operator's browser
 * cannot drive the core.
 */
export async function startServe({ core, rendererDir, port = 0 }: ServeOptions): Promise<ServeHandle> {
  const token = randomBytes(24).toString('hex')
  let origin = ''
  const securityHeaders: Record<string, string> = {}
  // Filled in once the port is known; the handler reads the same object on every request.
  const serveStatic = staticHandler(rendererDir, securityHeaders)
  const server = createServer((req, res) => void serveStatic(req, res))
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  const sockets = new Set<Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin)
    const refuse = (status: number, reason: string) => {
      core.logger.warn({ reason, origin: req.headers.origin ?? null }, 'serve: refused a bridge connection')
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    if (url.pathname !== IPC_PATH) return refuse(404, 'Not Found')
    if (req.headers.origin !== origin) return refuse(403, 'Forbidden')
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuse(401, 'Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
  })

  function attach(ws: WebSocket): void {
    const unsubscribe = core.bus.subscribe((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'event', event, payload }))
    })
    ws.on('close', unsubscribe)
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text frames only')
      let frame: z.infer<typeof invokeFrame>
      try {
        frame = invokeFrame.parse(JSON.parse(data.toString()))
      } catch {
        return ws.close(1007, 'malformed frame')
      }
      void core.dispatcher.invoke(frame.channel, frame.input, { actor: 'operator' }).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id: frame.id, result }))
      })
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actualPort = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${actualPort}`
  Object.assign(securityHeaders, {
    'content-security-policy': contentSecurityPolicy(actualPort),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  })

  return {
    url: `${origin}/#token=${token}`,
    port: actualPort,
    token,
    async close() {
      for (const c of wss.clients) c.terminate()
      wss.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
