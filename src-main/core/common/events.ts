import { events, type EventName, type EventPayload } from '../../../src-shared/contract'

export type EventListener = (event: EventName, payload: unknown) => void

/**
 * Events the core pushes to every connected view. Payloads are validated against the contract before they
 * leave, so a transport forwards them as they are.
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = events[event].parse(payload)
    for (const l of this.#listeners) l(event, checked)
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}

/**
 * Coalesces a high-rate event to at most one push per interval (DESIGN: ≤ 10 pushes/s); the latest payload
 * wins, and a final `flush` sends what is pending at once.
 */
export function throttled<E extends EventName>(bus: EventBus, event: E, intervalMs = 100) {
  let pending: EventPayload<E> | undefined
  let timer: NodeJS.Timeout | undefined
  let last = 0
  const send = () => {
    timer = undefined
    if (pending === undefined) return
    last = Date.now()
    const p = pending
    pending = undefined
    bus.emit(event, p)
  }
  return {
    push(payload: EventPayload<E>) {
      pending = payload
      if (timer) return
      const wait = Math.max(0, last + intervalMs - Date.now())
      timer = setTimeout(send, wait)
      timer.unref?.()
    },
    flush() {
      if (timer) clearTimeout(timer)
      send()
    },
  }
}

/**
 * `throttled` apart for each key (a carrier account): payloads of different keys never replace one another, so every
 * key's latest payload is pushed (one shared throttle let a busy account's progress hide another's). `flush(key)`
 * sends that key's pending payload at once and forgets the key.
 */
export function throttledBy<E extends EventName>(bus: EventBus, event: E, keyOf: (payload: EventPayload<E>) => string, intervalMs = 100) {
  const byKey = new Map<string, ReturnType<typeof throttled<E>>>()
  return {
    push(payload: EventPayload<E>) {
      const key = keyOf(payload)
      let throttle = byKey.get(key)
      if (!throttle) {
        throttle = throttled(bus, event, intervalMs)
        byKey.set(key, throttle)
      }
      throttle.push(payload)
    },
    flush(key: string) {
      byKey.get(key)?.flush()
      byKey.delete(key)
    },
  }
}
