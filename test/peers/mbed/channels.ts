/**
 * Notification channels (docs/wire/mbed.md §1.5): exactly one per API key — a long-poll ("pull") channel, a WebSocket
 * channel or a callback (webhook) — each with its own queue of §1.6 envelope items.
 *
 * Items are queued only for keys that have a channel, as the real service does: the pull channel is created by the
 * first GET /v2/notification/pull (CN sends `noWait=true` for exactly that), the WebSocket channel by
 * PUT /v2/notification/websocket, the callback by PUT /v2/notification/callback. Before that, notifications have
 * nowhere to go and are not kept. A notification is queued for a key only when that key subscribed to the resource
 * (the `accept` filter the peer passes, §1.4).
 */
import type { ServerResponse } from 'node:http'
import { WebSocket } from 'ws'
import { putJson } from './callback-delivery'
import { buildEnvelope, emptyResponse, textResponse, type Envelope, type ItemKind, type PeerResponse, type QueuedItem } from './wire-format'

export interface HubOptions {
  /** §1.5: a callback PUT that has not answered in this long has failed (20 s). */
  callbackTimeoutMs: number
  /** §1.5: retries after a failed callback PUT wait 1, 2, 4… s up to this (2 min). */
  callbackRetryMaxMs: number
  /** §1.5: a callback failing for this long is dropped with its queue (24 h). */
  callbackDropAfterMs: number
  pollTimeoutMs: number
  channelDeletedMs: number
  pullChannelExpiryMs: number
  wsChannelExpiryMs: number
  maxEnvelopeItems: number
  queueLimit: number
  concurrentPoll: 'replace' | 'reject'
}

export interface HubCounters {
  notificationsDelivered: number
  asyncResponsesDelivered: number
  itemsDelivered: number
  envelopesDelivered: number
  pollsIdle: number
  pollsHeld: number
  itemsDropped: number
}

export interface HubDeps {
  send(res: ServerResponse, response: PeerResponse): void
  conflict(message: string): PeerResponse
}

/** [I] Frames wait while more than this is buffered on a socket: a slow reader leaves items queued, not in RAM twice. */
const WS_HIGH_WATER = 4 * 1024 * 1024

/** A FIFO that does not pay Array#shift's O(n) per item at stream rates. */
class ItemQueue {
  private items: QueuedItem[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: QueuedItem): void {
    this.items.push(item)
  }

  take(n: number): QueuedItem[] {
    const end = Math.min(this.items.length, this.head + n)
    const out = this.items.slice(this.head, end)
    this.head = end
    this.compact()
    return out
  }

  /** Puts items taken by `take` back in front (a callback delivery that failed). */
  unshift(items: QueuedItem[]): void {
    this.items = [...items, ...this.items.slice(this.head)]
    this.head = 0
  }

  dropOldest(n: number): void {
    this.head = Math.min(this.items.length, this.head + n)
    this.compact()
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}

interface PendingPoll {
  res: ServerResponse
  timer: NodeJS.Timeout
}

interface CallbackTarget {
  url: string
  headers: Record<string, string>
  inFlight: boolean
  retry: NodeJS.Timeout | null
  failures: number
  failingSince: number | null
}

class Channel {
  readonly queue = new ItemQueue()
  poll: PendingPoll | null = null
  socket: WebSocket | null = null
  callback: CallbackTarget | null = null
  scheduled = false
  constructor(
    readonly kind: 'pull' | 'websocket' | 'callback',
    public lastActivity: number,
  ) {}
}

/** §1.5: a callback receiver must answer the test PUT (and, [I], each delivery) with 200 or 204; no redirects. */
const CALLBACK_OK = new Set([200, 204])

export type ChannelKind = Channel['kind']

export class NotificationHub {
  private readonly channels = new Map<string, Channel>()
  private readonly pullDeletedAt = new Map<string, number>()
  private readonly retryTimers = new Set<NodeJS.Timeout>()
  private closed = false

  constructor(
    private readonly options: HubOptions,
    private readonly counters: HubCounters,
    private readonly deps: HubDeps,
  ) {}

  /** Queues an item for every key with a channel, or only those `accept` lets through; returns how many were skipped. */
  publish(kind: ItemKind, json: string, accept?: (key: string) => boolean): number {
    const item: QueuedItem = { kind, json }
    const now = Date.now()
    let skipped = 0
    for (const [key, ch] of this.channels) {
      if (this.expired(ch, now)) {
        this.delete(key, ch)
        continue
      }
      if (accept && !accept(key)) {
        skipped++
        continue
      }
      this.enqueue(ch, item)
      this.schedule(ch)
    }
    return skipped
  }

  /** The stream's path: one expiry check and one wake-up per channel per batch; returns how many were skipped. */
  publishMany(kind: ItemKind, jsons: readonly string[], accept?: (key: string, index: number) => boolean): number {
    const now = Date.now()
    let skipped = 0
    for (const [key, ch] of this.channels) {
      if (this.expired(ch, now)) {
        this.delete(key, ch)
        continue
      }
      for (let i = 0; i < jsons.length; i++) {
        if (accept && !accept(key, i)) skipped++
        else this.enqueue(ch, { kind, json: jsons[i] as string })
      }
      this.schedule(ch)
    }
    return skipped
  }

  /** The kind of channel a key has now, after lazy expiry. */
  channelOf(key: string): ChannelKind | null {
    return this.live(key)?.kind ?? null
  }

  queueSize(key: string): number {
    return this.live(key)?.queue.length ?? 0
  }

  // ---- long poll (§1.5) -------------------------------------------------------------------------------------------

  /**
   * GET /v2/notification/pull. Answers 200 + envelope when something is queued, else holds the request for
   * `pollTimeoutMs` and answers 204. `noWait=true` (CN's first poll) answers 204 at once when the queue is empty.
   *
   * - 410 "CHANNEL_DELETED" (text/plain) for `channelDeletedMs` after a DELETE (§1.5: "don't GET for 2 min"). [I]
   *   The peer answers 410 for the whole window rather than the "random 200/204" the docs also allow: deterministic.
   * - A WebSocket channel on the key → 409: the docs say another channel type must be deleted first. [I] status.
   * - A second concurrent poll on the key: only one may be ongoing (§1.5), and [I] by default the newer one wins and
   *   the older is answered 204 at once, because a server cannot tell a client's abandoned half-open poll from a live
   *   one; `concurrentPoll: 'reject'` instead answers the newcomer 409.
   */
  pull(key: string, res: ServerResponse, noWait: boolean): void {
    const now = Date.now()
    const deletedAt = this.pullDeletedAt.get(key)
    if (deletedAt !== undefined) {
      if (now - deletedAt < this.options.channelDeletedMs) {
        this.deps.send(res, textResponse(410, 'CHANNEL_DELETED'))
        return
      }
      this.pullDeletedAt.delete(key)
    }
    let ch = this.live(key)
    if (ch && ch.kind !== 'pull') {
      this.deps.send(res, this.deps.conflict(`A ${ch.kind} notification channel exists for this API key; delete it before long polling.`))
      return
    }
    if (!ch) {
      ch = new Channel('pull', now)
      this.channels.set(key, ch)
    }
    ch.lastActivity = now
    if (ch.poll) {
      if (this.options.concurrentPoll === 'reject') {
        this.deps.send(res, this.deps.conflict('Another long poll request is ongoing for this API key.'))
        return
      }
      this.idle(ch)
    }
    if (ch.queue.length > 0) {
      this.deps.send(res, this.envelopeResponse(ch))
      return
    }
    if (noWait) {
      this.counters.pollsIdle++
      this.deps.send(res, emptyResponse(204))
      return
    }
    const channel = ch
    const poll: PendingPoll = {
      res,
      timer: setTimeout(() => {
        if (channel.poll === poll) this.idle(channel)
      }, this.options.pollTimeoutMs),
    }
    channel.poll = poll
    this.counters.pollsHeld++
    res.on('close', () => {
      if (channel.poll !== poll) return
      clearTimeout(poll.timer)
      channel.poll = null
      channel.lastActivity = Date.now()
    })
  }

  /** DELETE /v2/notification/pull: 204, or 404 when the key has no pull channel [I, mirrors DELETE callback §1.5]. */
  deletePull(key: string): boolean {
    const ch = this.live(key)
    if (!ch || ch.kind !== 'pull') return false
    this.channels.delete(key)
    this.pullDeletedAt.set(key, Date.now())
    const poll = ch.poll
    if (poll) {
      ch.poll = null
      clearTimeout(poll.timer)
      this.deps.send(poll.res, textResponse(410, 'CHANNEL_DELETED'))
    }
    return true
  }

  // ---- WebSocket (§1.5) -------------------------------------------------------------------------------------------

  /** PUT /v2/notification/websocket: 'created' (201), 'exists' (200), or 'conflict' when a pull channel exists. */
  registerWebsocket(key: string): 'created' | 'exists' | 'conflict' {
    const ch = this.live(key)
    if (ch?.kind === 'websocket') return 'exists'
    if (ch) return 'conflict'
    this.channels.set(key, new Channel('websocket', Date.now()))
    return 'created'
  }

  websocketStatus(key: string): 'CONNECTED' | 'DISCONNECTED' | null {
    const ch = this.live(key)
    if (ch?.kind !== 'websocket') return null
    return ch.socket ? 'CONNECTED' : 'DISCONNECTED'
  }

  /** DELETE /v2/notification/websocket: drops the queue and closes a live socket with 1000 (JV: "channel deleted"). */
  deleteWebsocket(key: string): boolean {
    const ch = this.live(key)
    if (ch?.kind !== 'websocket') return false
    this.channels.delete(key)
    const socket = ch.socket
    ch.socket = null
    if (socket) closeSocket(socket, 1000)
    return true
  }

  /** A new, authenticated socket. No channel → 1011; an older socket on the channel → closed with 1001. */
  attach(key: string, ws: WebSocket): void {
    const ch = this.live(key)
    if (ch?.kind !== 'websocket') {
      closeSocket(ws, 1011)
      return
    }
    const old = ch.socket
    ch.socket = ws
    if (old) closeSocket(old, 1001)
    ws.on('close', () => {
      if (ch.socket !== ws) return
      ch.socket = null
      ch.lastActivity = Date.now()
    })
    this.flushSocket(ch)
  }

  // ---- callback (§1.5) --------------------------------------------------------------------------------------------

  /**
   * PUT /v2/notification/callback. The server first PUTs `{}` to the URL with the given headers; only a 200 or 204
   * registers the channel (a redirect, another status, a timeout or a refused connection → 'unreachable', which the
   * Connector answers 400). A pull or WebSocket channel on the key → 'conflict' [I, as between those two]. A new
   * registration replaces the URL of an existing callback and keeps its queue [I].
   */
  async registerCallback(key: string, url: string, headers: Record<string, string>): Promise<'registered' | 'conflict' | 'unreachable'> {
    const existing = this.live(key)
    if (existing && existing.kind !== 'callback') return 'conflict'
    const status = await putJson(url, headers, '{}', this.options.callbackTimeoutMs).catch(() => null)
    if (status === null || !CALLBACK_OK.has(status)) return 'unreachable'
    const now = this.live(key)
    if (now && now.kind !== 'callback') return 'conflict'
    const ch = now ?? new Channel('callback', Date.now())
    if (ch.callback?.retry) clearTimeout(ch.callback.retry)
    ch.callback = { url, headers, inFlight: ch.callback?.inFlight ?? false, retry: null, failures: 0, failingSince: null }
    this.channels.set(key, ch)
    this.schedule(ch)
    return 'registered'
  }

  callbackOf(key: string): { url: string; headers: Record<string, string> } | null {
    const ch = this.live(key)
    return ch?.kind === 'callback' && ch.callback ? { url: ch.callback.url, headers: { ...ch.callback.headers } } : null
  }

  /** DELETE /v2/notification/callback: the channel and its queue go. */
  deleteCallback(key: string): boolean {
    const ch = this.live(key)
    if (ch?.kind !== 'callback') return false
    this.delete(key, ch)
    return true
  }

  /** Connected sockets, of one key or of all. */
  liveSockets(key?: string): WebSocket[] {
    const out: WebSocket[] = []
    for (const [k, ch] of this.channels) if (ch.socket && (key === undefined || k === key)) out.push(ch.socket)
    return out
  }

  close(): void {
    this.closed = true
    for (const timer of this.retryTimers) clearTimeout(timer)
    this.retryTimers.clear()
    for (const ch of this.channels.values()) {
      if (ch.callback?.retry) clearTimeout(ch.callback.retry)
      if (ch.poll) clearTimeout(ch.poll.timer)
      ch.poll = null
      ch.socket?.terminate()
      ch.socket = null
    }
    this.channels.clear()
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private live(key: string): Channel | undefined {
    const ch = this.channels.get(key)
    if (ch && this.expired(ch, Date.now())) {
      this.delete(key, ch)
      return undefined
    }
    return ch
  }

  private delete(key: string, ch: Channel): void {
    if (this.channels.get(key) === ch) this.channels.delete(key)
    if (ch.callback?.retry) clearTimeout(ch.callback.retry)
    ch.callback = null
  }

  /**
   * §1.5: a pull channel expires after 10 min without polls, a WebSocket channel after 24 h without a socket, a
   * callback after 24 h of failed deliveries.
   */
  private expired(ch: Channel, now: number): boolean {
    if (ch.kind === 'callback') return ch.callback?.failingSince != null && now - ch.callback.failingSince >= this.options.callbackDropAfterMs
    if (ch.poll || ch.socket) return false
    const limit = ch.kind === 'pull' ? this.options.pullChannelExpiryMs : this.options.wsChannelExpiryMs
    return now - ch.lastActivity > limit
  }

  /** [I] A bounded queue (real limits are not documented): past `queueLimit` the oldest items are dropped. */
  private enqueue(ch: Channel, item: QueuedItem): void {
    ch.queue.push(item)
    if (ch.queue.length > this.options.queueLimit) {
      ch.queue.dropOldest(1)
      this.counters.itemsDropped++
    }
  }

  /** Coalesces everything produced in this turn of the event loop into one envelope, as a batching server does. */
  private schedule(ch: Channel): void {
    if (ch.scheduled || this.closed) return
    if (ch.kind === 'callback') {
      const target = ch.callback
      if (!target || target.inFlight || target.retry || ch.queue.length === 0) return
    } else if (ch.kind === 'pull' ? !ch.poll : !ch.socket) return
    ch.scheduled = true
    setImmediate(() => {
      ch.scheduled = false
      if (this.closed) return
      if (ch.kind === 'callback') {
        this.deliverCallback(ch)
      } else if (ch.kind === 'pull') {
        const poll = ch.poll
        if (!poll || ch.queue.length === 0) return
        ch.poll = null
        clearTimeout(poll.timer)
        ch.lastActivity = Date.now()
        this.deps.send(poll.res, this.envelopeResponse(ch))
      } else {
        this.flushSocket(ch)
      }
    })
  }

  private idle(ch: Channel): void {
    const poll = ch.poll
    if (!poll) return
    ch.poll = null
    clearTimeout(poll.timer)
    ch.lastActivity = Date.now()
    this.counters.pollsIdle++
    this.deps.send(poll.res, emptyResponse(204))
  }

  /** §1.6: a poll or frame carries everything queued, up to `maxEnvelopeItems`. */
  private drain(ch: Channel): Envelope {
    const envelope = buildEnvelope(ch.queue.take(this.options.maxEnvelopeItems))
    this.count(envelope)
    return envelope
  }

  private count(envelope: Envelope): void {
    this.counters.itemsDelivered += envelope.items
    this.counters.notificationsDelivered += envelope.notifications
    this.counters.asyncResponsesDelivered += envelope.asyncResponses
    this.counters.envelopesDelivered++
  }

  /**
   * §1.5: notifications arrive as an HTTP PUT of the envelope. One PUT at a time per channel, in order; a failure puts
   * the items back in front and retries after 1, 2, 4… s (at most `callbackRetryMaxMs`), and a callback failing for
   * `callbackDropAfterMs` is dropped with its queue.
   */
  private deliverCallback(ch: Channel): void {
    const target = ch.callback
    if (!target || target.inFlight || ch.queue.length === 0) return
    const items = ch.queue.take(this.options.maxEnvelopeItems)
    const envelope = buildEnvelope(items)
    target.inFlight = true
    void putJson(target.url, target.headers, envelope.body, this.options.callbackTimeoutMs)
      .catch(() => null)
      .then((status) => {
        target.inFlight = false
        if (this.closed || ch.callback !== target) return
        if (status !== null && CALLBACK_OK.has(status)) {
          this.count(envelope)
          target.failures = 0
          target.failingSince = null
          this.schedule(ch)
          return
        }
        ch.queue.unshift(items)
        target.failures++
        target.failingSince ??= Date.now()
        const wait = Math.min(1000 * 2 ** (target.failures - 1), this.options.callbackRetryMaxMs)
        target.retry = setTimeout(() => {
          target.retry = null
          for (const [key, c] of this.channels) if (c === ch && this.expired(ch, Date.now())) this.delete(key, ch)
          if (ch.callback === target) this.schedule(ch)
        }, wait)
      })
  }

  private envelopeResponse(ch: Channel): PeerResponse {
    return textResponse(200, this.drain(ch).body, 'application/json')
  }

  /** Each text frame is one envelope (§1.5). */
  private flushSocket(ch: Channel): void {
    const ws = ch.socket
    if (this.closed || !ws || ws.readyState !== WebSocket.OPEN) return
    while (ch.queue.length > 0) {
      if (ws.bufferedAmount > WS_HIGH_WATER) {
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer)
          if (ch.socket === ws) this.flushSocket(ch)
        }, 5)
        this.retryTimers.add(timer)
        return
      }
      ws.send(this.drain(ch).body)
    }
  }
}

const CLOSE_REASONS: Record<number, string> = {
  1000: 'Channel deleted',
  1001: 'Going away',
  1008: 'Policy violation',
  1011: 'Unexpected condition',
  1012: 'Service restart',
}

/** 1006 has no close frame by definition (RFC 6455 §7.1.5): the TCP connection just goes. */
export function closeSocket(ws: WebSocket, code: number): void {
  if (code === 1006) {
    ws.terminate()
    return
  }
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, CLOSE_REASONS[code] ?? '')
}
