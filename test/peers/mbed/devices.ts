/**
 * What happens on the device side of a resource request (docs/wire/mbed.md §1.3): requests queue per device, reach the
 * device one at a time in order, and each answer comes back later as an `async-responses` item (§1.6).
 */
import type { Registry } from './registry'
import { asyncResponseJson, DEFAULT_MAX_AGE, KIND } from './wire-format'

export interface MbedCommand {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  ep: string
  /** Resource path with its leading "/", without query. */
  path: string
  /** Query of the request (legacy form) or of `uri` (device-requests), without "?"; e.g. "pmax=120". */
  query: string
  body: Buffer
  /** '' for a `noResp=true` request, which has none (§1.3). */
  asyncId: string
  /** Date.now() when the peer accepted the request. */
  at: number
  form: 'resource' | 'device-request'
  contentType?: string
  accept?: string
}

export type CommandReply = { status: number; payload?: Buffer | string; ct?: string; error?: string; delayMs?: number } | 'no-response'
export type CommandBehaviour = (cmd: MbedCommand) => CommandReply

interface Pending {
  cmd: MbedCommand
  /** Epoch ms after which a still-queued request expires with 429 REQUEST_EXPIRED (§1.3 expiry-seconds). */
  expiresAt: number
  /** False for the path that does not exist on the device: it answers 404 without consulting the behaviour. */
  known: boolean
}

interface DeviceQueue {
  pending: Pending[]
  /** The request the device is working on now. */
  current: Pending | null
}

export interface DeviceOptions {
  /** How long a device that never answers takes to become `{status:504, error:"TIMEOUT"}`. */
  timeoutMs: number
  /** §1.3: up to 20 queued requests per device; more → 429. */
  queueLimit: number
}

export class Devices {
  private readonly queues = new Map<string, DeviceQueue>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly log: MbedCommand[] = []
  private behaviour: CommandBehaviour | null = null
  private closed = false

  constructor(
    private readonly registry: Registry,
    private readonly options: DeviceOptions,
    private readonly publish: (kind: (typeof KIND)['async-responses'], json: string) => void,
  ) {}

  setBehaviour(fn: CommandBehaviour | null): void {
    this.behaviour = fn
  }

  commands(): MbedCommand[] {
    return this.log.map((c) => ({ ...c, body: Buffer.from(c.body) }))
  }

  get count(): number {
    return this.log.length
  }

  isFull(ep: string): boolean {
    const q = this.queues.get(ep)
    return q !== undefined && q.pending.length + (q.current ? 1 : 0) >= this.options.queueLimit
  }

  /** Records a request that expects no answer (`noResp=true`, §1.3): the device gets it, nothing comes back. */
  record(cmd: MbedCommand): void {
    this.log.push(cmd)
  }

  /**
   * Queues a request for the device. The answer is always published from a later timer tick, so the 202 that the
   * caller writes synchronously leaves first (a client may still see the async item first: two connections).
   */
  submit(cmd: MbedCommand, known: boolean, expiresAt: number): void {
    this.log.push(cmd)
    let q = this.queues.get(cmd.ep)
    if (!q) {
      q = { pending: [], current: null }
      this.queues.set(cmd.ep, q)
    }
    q.pending.push({ cmd, expiresAt, known })
    this.next(cmd.ep)
  }

  /** §1.3: requests still queued when their device leaves fail with 429 DEVICE_REMOVED_REGISTRATION. */
  removed(ep: string): void {
    const q = this.queues.get(ep)
    if (!q) return
    this.queues.delete(ep)
    for (const p of q.current ? [q.current, ...q.pending] : q.pending) this.publish(KIND['async-responses'], asyncResponseJson(p.cmd.asyncId, 429, null, null, null, 'DEVICE_REMOVED_REGISTRATION'))
  }

  close(): void {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (!this.closed) fn()
    }, ms)
    this.timers.add(timer)
  }

  private next(ep: string): void {
    const q = this.queues.get(ep)
    if (!q || q.current) return
    const p = q.pending.shift()
    if (!p) return
    if (Date.now() > p.expiresAt) {
      this.publish(KIND['async-responses'], asyncResponseJson(p.cmd.asyncId, 429, null, null, null, 'REQUEST_EXPIRED'))
      this.next(ep)
      return
    }
    q.current = p
    const done = (): void => {
      if (this.queues.get(ep) !== q) return
      q.current = null
      this.next(ep)
    }
    const reply = this.answer(p)
    if (reply === 'no-response') {
      this.later(this.options.timeoutMs, () => {
        if (this.queues.get(ep) === q) this.publish(KIND['async-responses'], asyncResponseJson(p.cmd.asyncId, 504, null, null, null, 'TIMEOUT'))
        done()
      })
      return
    }
    this.later(Math.max(0, reply.delayMs ?? 0), () => {
      if (this.queues.get(ep) !== q) return
      this.publish(KIND['async-responses'], this.render(p.cmd, reply))
      done()
    })
  }

  private answer(p: Pending): CommandReply {
    if (!p.known) return { status: 404 }
    if (this.behaviour) {
      try {
        return this.behaviour({ ...p.cmd, body: Buffer.from(p.cmd.body) })
      } catch {
        // A throwing test behaviour must not kill the peer; the device "fails" as an unexpected server error would.
        return { status: 502, error: 'BEHAVIOUR_THREW' }
      }
    }
    return this.defaultAnswer(p.cmd)
  }

  /**
   * Default device: 200 to everything. [I] A GET returns the value the device holds (seeded, or the last PUT or
   * notification) rather than an empty payload, so reads after writes look like a real device; PUT stores the body.
   */
  private defaultAnswer(cmd: MbedCommand): CommandReply {
    if (cmd.method === 'GET') {
      const held = this.registry.deviceValue(cmd.ep, cmd.path)
      return held ? { status: 200, payload: held.value, ct: held.ct } : { status: 200 }
    }
    if (cmd.method === 'PUT') {
      const record = this.registry.get(cmd.ep)
      const ct = cmd.contentType ?? record?.byPath.get(cmd.path)?.ct ?? 'text/plain'
      if (record?.byPath.has(cmd.path)) this.registry.setDeviceValue(cmd.ep, cmd.path, cmd.body, ct)
    }
    return { status: 200 }
  }

  private render(cmd: MbedCommand, reply: Exclude<CommandReply, 'no-response'>): string {
    const payload = reply.payload === undefined ? null : Buffer.isBuffer(reply.payload) ? reply.payload : Buffer.from(reply.payload)
    if (reply.status >= 300) {
      // §1.6: error items carry status and `error`, usually no payload.
      return asyncResponseJson(cmd.asyncId, reply.status, payload, reply.ct ?? null, null, reply.error ?? null)
    }
    const record = this.registry.get(cmd.ep)
    // [I] Only a single concrete media type in `accept` names the answer's type ("*/*" is fetch's default Accept), and
    // only where it speaks of the device's value: a device-request's `accept` field, or the Accept of a legacy GET. The
    // Accept of a legacy PUT/POST/DELETE is about the HTTP answer (the JSON async id), as the official client sends it.
    const aboutValue = cmd.form === 'device-request' || cmd.method === 'GET'
    const accept = aboutValue && cmd.accept !== undefined && /^[\w.+-]+\/[\w.+-]+$/.test(cmd.accept) ? cmd.accept : undefined
    const ct = reply.ct ?? accept ?? record?.byPath.get(cmd.path)?.ct ?? 'text/plain'
    const body = payload ?? Buffer.alloc(0)
    if (record?.byPath.has(cmd.path) && (cmd.method === 'GET' ? body.length > 0 : cmd.method === 'PUT')) {
      this.registry.setCached(cmd.ep, cmd.path, cmd.method === 'GET' ? body : cmd.body, ct)
    }
    return asyncResponseJson(cmd.asyncId, reply.status, body, ct, String(DEFAULT_MAX_AGE), reply.error ?? null)
  }
}
