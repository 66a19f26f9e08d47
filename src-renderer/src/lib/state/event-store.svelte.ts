import type { ErrorInfo, EventName, EventPayload, Result } from '../../../../src-shared/contract'
import type { Api } from '../api'
import { debounce } from '../debounce'

/** The list a `…:list` channel answers with, as the store keeps it. */
export async function itemsOf<T>(call: Promise<Result<{ items: T[] }>>): Promise<Result<T[]>> {
  const result = await call
  return result.ok ? { ok: true, value: result.value.items } : result
}

/** What a store listens to: the core's events, and the transport coming back after it dropped. */
export type EventSource = Pick<Api, 'on' | 'onReconnect'>

/** An event that makes the store read again, optionally only when its payload concerns this store. */
export type RefreshTrigger = { [E in EventName]: { event: E; when?: (payload: EventPayload<E>) => boolean } }[EventName]

export interface FollowOptions {
  refreshOn: readonly RefreshTrigger[]
  /** A burst of events (an import writes thousands of entries) is read once, when it settles. */
  settleMs?: number
}

/**
 * Calls `refresh` after each of the events (those whose payload concerns the caller) and when the transport comes
 * back: events sent while it was down are lost. Returns the function that stops listening.
 */
export function follow(source: EventSource, options: FollowOptions, refresh: () => void): () => void {
  const settle = options.settleMs
  const run = settle === undefined ? refresh : debounce(refresh, settle)
  const stops = [
    ...options.refreshOn.map((trigger) =>
      source.on(trigger.event, (payload) => {
        if (!trigger.when || (trigger.when as (p: unknown) => boolean)(payload)) run()
      }),
    ),
    source.onReconnect(refresh),
  ]
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}

export interface EventStoreOptions extends FollowOptions {
  /**
   * 'always': kept current from the start (the navigation badge, the profile lists other views read); 'whileActive':
   * only while a view that shows it is on screen (activate()), so a hidden page costs no round trips.
   */
  live: 'always' | 'whileActive'
}

/**
 * The one pattern every piece of renderer state follows (Podman Desktop's event-refreshed stores): main is the
 * source of truth; a store reads through the api, reads again when the core says its data changed or when the
 * transport comes back (events sent while it was down are lost), keeps the last good data and the last error apart,
 * and lets only the latest read land — a slow answer to an older read never overwrites a newer one.
 */
export abstract class EventStore<T> {
  value = $state.raw<T | null>(null)
  /** True once a read has succeeded: "nothing yet" and "empty" read differently. */
  loaded = $state(false)
  /** Why the last read failed; the last good value stays on screen beside it. */
  error = $state.raw<ErrorInfo | null>(null)
  readonly #live: EventStoreOptions['live']
  readonly #stop: () => void
  #seq = 0
  #active = 0

  constructor(source: EventSource, options: EventStoreOptions) {
    this.#live = options.live
    this.#stop = follow(source, options, () => this.refresh())
  }

  /** The read itself. */
  protected abstract fetch(): Promise<Result<T>>

  /** Reads now. Resolves with this read's result, or null when a newer read replaced it before it answered. */
  async load(): Promise<Result<T> | null> {
    const seq = ++this.#seq
    const result = await this.fetch()
    if (seq !== this.#seq) return null
    if (result.ok) this.accept(result.value)
    else this.error = result.error
    return result
  }

  /** Reads again if the store is live now; what events and reconnects do. */
  refresh(): void {
    if (this.#live === 'always' || this.#active > 0) void this.load()
  }

  /** A view shows the store: it reads now and follows changes until the returned function is called. */
  activate(): () => void {
    this.#active++
    void this.load()
    let active = true
    return () => {
      if (active) this.#active--
      active = false
    }
  }

  /** A change made through the core: once it answers, the store reads again (the change may have moved anything). */
  protected async write<R>(call: Promise<Result<R>>): Promise<Result<R>> {
    const result = await call
    void this.load()
    return result
  }

  /** Takes data the core answered a write with, so no extra read is needed; a read still under way is dropped. */
  protected accept(value: T): void {
    this.#seq++
    this.value = value
    this.error = null
    this.loaded = true
  }

  /** For a store that lives as long as one page: stops listening, and a read still under way lands nowhere. */
  dispose(): void {
    this.#stop()
    this.#seq++
  }
}
