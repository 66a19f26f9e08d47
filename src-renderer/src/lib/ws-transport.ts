import { z } from 'zod'
import {
  errorInfoSchema,
  channels,
  events,
  isEventName,
  type FieldlineApi,
  type ErrorInfo,
  type ChannelName,
  type EventName,
  type EventPayload,
  type Input,
  type Output,
  type Result,
} from '../../../src-shared/contract'
import { formatMebibytes } from '../../../src-shared/models/byte-format'
import { exceedsBytes, MAX_FRAME_BYTES } from '../../../src-shared/models/limits'

/**
 * `unauthorised`: the page was opened without the per-launch token, so connecting is pointless. `restarted`: the
 * server answers again but refuses this tab's token — serve mode was started again, with a new token, so retrying
 * is pointless too; the tab must be opened from the new address.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorised' | 'restarted'

const resultFrameSchema = z.object({
  type: z.literal('result'),
  id: z.number().int(),
  result: z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: errorInfoSchema })]),
})
const eventFrameSchema = z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() })
const frameSchema = z.discriminatedUnion('type', [resultFrameSchema, eventFrameSchema])

interface Pending {
  channel: ChannelName
  resolve: (result: Result<unknown>) => void
}

const BACKOFF_START_MS = 250
const BACKOFF_MAX_MS = 5000

/** Close code of a peer that refused a message for its size (RFC 6455 §7.4.1); the core sends it for a frame over MAX_FRAME_BYTES. */
const CLOSE_TOO_BIG = 1009

function failure(code: ErrorInfo['code'], message: string): { ok: false; error: ErrorInfo } {
  return { ok: false, error: { code, message } }
}

const FRAME_LIMIT = formatMebibytes(MAX_FRAME_BYTES, 'en')

/** A call this end refuses to send: the core would close the socket on it, failing every other call in flight. */
const FRAME_TOO_LARGE: ErrorInfo = {
  code: 'TOO_LARGE',
  message: `This request is too large to send to the Fieldline core (the limit is ${FRAME_LIMIT}). Nothing was sent.`,
  details: { ref: { key: 'errors.frameTooLarge', params: { max: FRAME_LIMIT, maxBytes: MAX_FRAME_BYTES } } },
}

/** What the calls in flight get when the socket closed: the core, not the network, is out of reach. */
const CORE_LOST: ErrorInfo = {
  code: 'NETWORK',
  message: 'The connection to the Fieldline core was lost before it answered.',
  details: { ref: { key: 'errors.coreLost' } },
}

/** What calls get once the core has refused this tab's token: no socket will ever carry them. */
const CORE_RESTARTED: ErrorInfo = {
  code: 'NETWORK',
  message: 'Fieldline was restarted: this tab can no longer reach it. Open the new address it printed.',
  details: { ref: { key: 'errors.coreRestarted' } },
}

/**
 * Whether a call failed only because the core went out of reach (the socket closed, or the core restarted): the
 * connection banner says so, and a page that already shows what it read keeps it, instead of an alert that an action
 * "did not complete" when the operator did nothing (cold trial: serve killed while a job page was open).
 */
export function coreOutOfReach(error: ErrorInfo): boolean {
  const key = error.details?.ref?.key
  return key === CORE_LOST.details?.ref?.key || key === CORE_RESTARTED.details?.ref?.key
}

/**
 * Whether the server that serves this page answers a plain request now. A WebSocket that fails gives the page no
 * HTTP status, so "the core is down" and "the core is up but refuses this token" look the same to it; this tells
 * them apart. Answering is enough: it asks for nothing the server guards.
 */
export type ServerProbe = () => Promise<boolean>

/** What the calls in flight get when the core closed the socket on a frame too large. */
const FRAME_REFUSED: ErrorInfo = {
  code: 'TOO_LARGE',
  message: `The Fieldline core refused a message larger than ${FRAME_LIMIT} and closed the connection. Nothing in it was carried out.`,
  details: { ref: { key: 'errors.frameRefused', params: { max: FRAME_LIMIT, maxBytes: MAX_FRAME_BYTES } } },
}

/**
 * The serve-mode end of the bridge: the same FieldlineApi as Electron's preload, carried over one WebSocket.
 * Frames are validated with the contract's own schemas because the socket is a trust boundary like IPC.
 */
export class WsBridge implements FieldlineApi {
  readonly #url: string | null
  readonly #pending = new Map<number, Pending>()
  /** Frames asked for while the socket is not open yet; sent as soon as it opens. */
  #outbox: string[] = []
  readonly #listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  readonly #statusListeners = new Set<(status: ConnectionStatus) => void>()
  readonly #reconnectListeners = new Set<() => void>()
  readonly #refusedListeners = new Set<(error: ErrorInfo) => void>()
  #socket: WebSocket | null = null
  #nextId = 1
  #attempt = 0
  #everOpened = false
  /** The server answered the probe just before the current attempt: if that attempt fails, the token was refused. */
  #serverAnswered = false
  readonly #probe: ServerProbe | null
  #status: ConnectionStatus

  /**
   * Without a probe the transport retries for ever, as it cannot tell a refusal from an outage; serve mode's page
   * passes one (lib/api.ts).
   */
  constructor(url: string | null, probe: ServerProbe | null = null) {
    this.#url = url
    this.#probe = probe
    this.#status = url === null ? 'unauthorised' : 'connecting'
    if (url !== null) this.#connect()
  }

  get status(): ConnectionStatus {
    return this.#status
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.#statusListeners.add(listener)
    return () => this.#statusListeners.delete(listener)
  }

  /** Events pushed while the socket was down are lost, so views reload when it comes back. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener)
    return () => this.#reconnectListeners.delete(listener)
  }

  /** The core closed the socket because a frame was too large (the operator should be told: every call in flight failed). */
  onRefused(listener: (error: ErrorInfo) => void): () => void {
    this.#refusedListeners.add(listener)
    return () => this.#refusedListeners.delete(listener)
  }

  invoke<C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>> {
    if (this.#url === null) {
      return Promise.resolve(failure('FORBIDDEN', 'This page was opened without its session token.'))
    }
    if (this.#status === 'restarted') return Promise.resolve({ ok: false, error: CORE_RESTARTED })
    const id = this.#nextId++
    const frame = JSON.stringify({ type: 'invoke', id, channel, input })
    if (exceedsBytes(frame, MAX_FRAME_BYTES) !== undefined) return Promise.resolve({ ok: false, error: FRAME_TOO_LARGE })
    return new Promise<Result<Output<C>>>((resolve) => {
      this.#pending.set(id, { channel, resolve: resolve as (result: Result<unknown>) => void })
      if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(frame)
      else this.#outbox.push(frame)
    })
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    const wrapped = listener as (payload: unknown) => void
    set.add(wrapped)
    return () => set.delete(wrapped)
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status) return
    this.#status = status
    for (const l of this.#statusListeners) l(status)
  }

  #connect(): void {
    if (this.#url === null) return
    const socket = new WebSocket(this.#url)
    this.#socket = socket
    let opened = false
    socket.onopen = () => {
      opened = true
      this.#attempt = 0
      this.#setStatus('open')
      const queued = this.#outbox
      this.#outbox = []
      for (const frame of queued) socket.send(frame)
      if (this.#everOpened) for (const l of this.#reconnectListeners) l()
      this.#everOpened = true
    }
    socket.onmessage = (message: MessageEvent) => {
      if (typeof message.data === 'string') this.#receive(message.data)
    }
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket) return
      this.#socket = null
      const tooBig = event.code === CLOSE_TOO_BIG
      // The server answered a plain request just before this socket was refused: it is up, and refuses this tab's
      // token (the page's own Host and Origin are the ones it accepts). Serve mode's token is new at every launch,
      // so no retry can succeed.
      if (!opened && this.#serverAnswered) {
        this.#failPending(CORE_RESTARTED)
        this.#setStatus('restarted')
        return
      }
      this.#failPending(tooBig ? FRAME_REFUSED : CORE_LOST)
      if (tooBig) for (const l of this.#refusedListeners) l(FRAME_REFUSED)
      this.#setStatus('reconnecting')
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.#attempt)
      this.#attempt++
      // Jitter keeps several tabs from hammering a restarting core in lockstep.
      setTimeout(() => void this.#retry(), delay * (0.75 + Math.random() * 0.5))
    }
  }

  /** Probes the server (when there is a probe), then connects again. */
  async #retry(): Promise<void> {
    this.#serverAnswered = false
    if (this.#probe) this.#serverAnswered = await this.#probe().catch(() => false)
    this.#connect()
  }

  /** A call whose answer may never come must not hang the UI: it fails and the operator can retry. */
  #failPending(error: ErrorInfo): void {
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    this.#outbox = []
    for (const p of pending) p.resolve({ ok: false, error })
  }

  #receive(text: string): void {
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      console.warn('[bridge] dropped a frame that is not JSON')
      return
    }
    const parsed = frameSchema.safeParse(raw)
    if (!parsed.success) {
      console.warn('[bridge] dropped a malformed frame', parsed.error.issues)
      return
    }
    const frame = parsed.data
    if (frame.type === 'result') {
      const pending = this.#pending.get(frame.id)
      if (!pending) return
      this.#pending.delete(frame.id)
      if (!frame.result.ok) {
        pending.resolve(frame.result)
        return
      }
      const output: z.ZodType = channels[pending.channel].output
      const value = output.safeParse(frame.result.value)
      pending.resolve(value.success ? { ok: true, value: value.data } : failure('INTERNAL', `The core answered ${pending.channel} with data that does not match the contract.`))
      return
    }
    if (!isEventName(frame.event)) return
    const schema: z.ZodType = events[frame.event]
    const payload = schema.safeParse(frame.payload)
    if (!payload.success) {
      console.warn(`[bridge] dropped a malformed ${frame.event} event`)
      return
    }
    for (const l of this.#listeners.get(frame.event) ?? []) l(payload.data)
  }
}
