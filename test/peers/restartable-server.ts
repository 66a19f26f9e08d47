/**
 * An HTTP server on 127.0.0.1 that a test can take away and bring back on the same port: `stop()` closes the listener
 * and every open connection (clients then meet refused connections, an outage), `start()` listens again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface RestartableServer {
  readonly port: number
  readonly url: string
  stop(): Promise<void>
  start(): Promise<void>
}

export async function restartableServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RestartableServer> {
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let port = 0

  function start(): Promise<void> {
    if (server) return Promise.resolve()
    const s = createServer(handler)
    s.on('connection', (c) => {
      sockets.add(c)
      c.on('close', () => sockets.delete(c))
    })
    server = s
    return new Promise((resolve) =>
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port
        resolve()
      }),
    )
  }

  async function stop(): Promise<void> {
    const s = server
    server = null
    if (!s) return
    for (const c of sockets) c.destroy()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  await start()
  return {
    get port() {
      return port
    },
    get url() {
      return `http://127.0.0.1:${port}`
    },
    stop,
    start,
  }
}
