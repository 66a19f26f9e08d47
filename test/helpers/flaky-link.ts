import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * How the link between Fieldline and a peer behaves, like a 4G link in a substation:
 * - `pass`: every byte goes through.
 * - `delay`: each chunk of a request waits `ms` before it goes to the peer.
 * - `stall`: the request reaches the peer (which acts on it), and the answer stops after `afterBytes` bytes: the
 *   connection stays open and silent.
 * - `reset`: the request reaches the peer, and the connection is reset (TCP RST) as soon as the answer starts.
 * - `down`: new connections are reset at once, and open ones as soon as a byte passes either way.
 */
export type LinkMode = { kind: 'pass' } | { kind: 'delay'; ms: number } | { kind: 'stall'; afterBytes: number } | { kind: 'reset' } | { kind: 'down' }

export interface FlakyLink {
  /** The proxy's base URL (http://127.0.0.1:PORT), to give a profile instead of the peer's. */
  url: string
  set(mode: LinkMode): void
  /** `down` now, `pass` again after `ms` (the link drops and comes back). */
  dropFor(ms: number): void
  close(): Promise<void>
}

/** A TCP proxy in front of `target` (host:port) whose behaviour a test switches while it runs. */
export async function startFlakyLink(target: { host: string; port: number }): Promise<FlakyLink> {
  let mode: LinkMode = { kind: 'pass' }
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const track = (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
  }

  // The mode is read when each chunk passes, not once per connection: the client keeps its connections alive, and a
  // link that drops must drop those too.
  const server: Server = createServer((client) => {
    track(client)
    if (mode.kind === 'down') {
      client.resetAndDestroy()
      return
    }
    const upstream = connect(target.port, target.host)
    track(upstream)
    /** Bytes of the answer let through once a stall began on this connection; null while it flows. */
    let stalledAfter: number | null = null
    const cut = () => {
      client.resetAndDestroy()
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      const m = mode
      if (m.kind === 'down') return cut()
      if (m.kind === 'delay') {
        client.pause()
        const t = setTimeout(() => {
          timers.delete(t)
          if (!upstream.destroyed) upstream.write(chunk)
          client.resume()
        }, m.ms)
        timers.add(t)
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      const m = mode
      if (stalledAfter === null && m.kind === 'stall') stalledAfter = m.afterBytes
      if (stalledAfter !== null) {
        if (stalledAfter > 0) client.write(chunk.subarray(0, stalledAfter))
        stalledAfter = Math.max(0, stalledAfter - chunk.length)
        return
      }
      if (m.kind === 'reset' || m.kind === 'down') return cut()
      client.write(chunk)
    })
    client.on('end', () => upstream.end())
    upstream.on('end', () => {
      if (stalledAfter === null) client.end()
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => {
      if (stalledAfter === null) client.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the flaky link has no port')

  return {
    url: `http://127.0.0.1:${address.port}`,
    set(next) {
      mode = next
    },
    dropFor(ms) {
      mode = { kind: 'down' }
      const t = setTimeout(() => {
        timers.delete(t)
        mode = { kind: 'pass' }
      }, ms)
      timers.add(t)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
