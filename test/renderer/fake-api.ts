import type { ChannelName, EventName, EventPayload, Input, Output, Result } from '../../src-shared/contract'
import type { Api, ConnectionStatus } from '../../src-renderer/src/lib/api'

interface Call {
  channel: ChannelName
  input: unknown
  resolve: (result: Result<unknown>) => void
}

/**
 * The renderer's api without a core: every call waits until the test answers it, so a test decides the order in
 * which answers arrive (the case "latest request wins" is about); events and reconnects are sent by the test.
 */
export class FakeApi implements Api {
  status: ConnectionStatus = 'open'
  readonly calls: Call[] = []
  readonly #listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  readonly #reconnect = new Set<() => void>()
  readonly #status = new Set<(status: ConnectionStatus) => void>()

  invoke<C extends ChannelName>(channel: C, input: Input<C>): Promise<Result<Output<C>>> {
    return new Promise((resolve) => this.calls.push({ channel, input, resolve: resolve as (result: Result<unknown>) => void }))
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set)
    const wrapped = listener as (payload: unknown) => void
    set.add(wrapped)
    return () => set.delete(wrapped)
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.#status.add(listener)
    return () => this.#status.delete(listener)
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnect.add(listener)
    return () => this.#reconnect.delete(listener)
  }

  /** The calls not answered yet, of one channel. */
  pending(channel: ChannelName): Call[] {
    return this.calls.filter((c) => c.channel === channel)
  }

  /** Answers the call at `index` among the pending calls of `channel` (the oldest by default) and forgets it. */
  answer<C extends ChannelName>(channel: C, result: Result<Output<C>>, index = 0): Input<C> {
    const call = index >= 0 ? this.pending(channel)[index] : undefined
    if (!call) throw new Error(`no pending ${channel} call #${index}`)
    this.calls.splice(this.calls.indexOf(call), 1)
    call.resolve(result)
    return call.input as Input<C>
  }

  /** Answers the first pending call of `channel` whose input `matches`. */
  answerWhere<C extends ChannelName>(channel: C, matches: (input: Input<C>) => boolean, result: Result<Output<C>>): void {
    const index = this.pending(channel).findIndex((c) => matches(c.input as Input<C>))
    this.answer(channel, result, index)
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(payload)
  }

  /** The transport's connection changes, as WsBridge says it (a lost core is `reconnecting`, then `open` and a reconnect). */
  setStatus(status: ConnectionStatus): void {
    this.status = status
    for (const listener of this.#status) listener(status)
  }

  reconnect(): void {
    for (const listener of this.#reconnect) listener()
  }

  listenerCount(event: EventName): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  reset(): void {
    this.calls.length = 0
    this.#listeners.clear()
    this.#reconnect.clear()
    this.#status.clear()
    this.status = 'open'
  }
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value })
export const refused = (code: 'NETWORK' | 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT', message = 'refused'): { ok: false; error: { code: typeof code; message: string } } => ({
  ok: false,
  error: { code, message },
})

/** Lets the promise callbacks queued so far run (an answered call's continuation). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
