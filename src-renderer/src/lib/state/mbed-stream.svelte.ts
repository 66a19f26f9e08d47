import type { EventPayload } from '../../../../src-shared/contract'
import type { MbedLiveNotification } from '../../../../src-shared/models/mbed'

export interface StreamItem extends MbedLiveNotification {
  /** Arrival order in this window: the list's key, and what tells two identical notifications apart. */
  seq: number
  /** Lower-cased once on arrival, so filtering thousands of rows ten times a second stays cheap. */
  epKey: string
  pathKey: string
}

/** Notifications this window keeps: enough to look back over a burst, bounded so a stream never grows memory. */
export const STREAM_CAPACITY = 5000

/**
 * The live notification stream as the mbed view shows it: the newest STREAM_CAPACITY notifications, newest first.
 *
 * The list the operator sees freezes while paused, and while it is scrolled away from the newest rows ("held"),
 * so the row under the pointer does not slide away at a few thousand rows a second. Notifications keep arriving
 * meanwhile: they are counted (`unseen`) and kept (within the bound), and appear when the list unfreezes.
 */
export class NotificationStream {
  /** What the list shows, newest first. Replaced, never mutated, so the virtual list sees each change. */
  items = $state.raw<readonly StreamItem[]>([])
  paused = $state(false)
  held = $state(false)
  /** Arrived since the list froze; counted, not shown. */
  unseen = $state(0)
  /** Received by this window since the last clear. */
  received = $state(0)
  /** Left out of the live stream by the core (beyond 200 per 100 ms); they were still bridged to MQTT. */
  omitted = $state(0)
  endpointFilter = $state('')
  pathFilter = $state('')

  /** The shown items that pass both filters. */
  readonly visible = $derived.by(() => {
    const ep = this.endpointFilter.trim().toLowerCase()
    const path = this.pathFilter.trim().toLowerCase()
    if (ep === '' && path === '') return this.items
    return this.items.filter((i) => (ep === '' || i.epKey.includes(ep)) && (path === '' || i.pathKey.includes(path)))
  })

  #latest: StreamItem[] = []
  #seq = 0

  get frozen(): boolean {
    return this.paused || this.held
  }

  /** One 'mbed:notifications' push (at most ten a second, at most 200 items each). */
  push(event: EventPayload<'mbed:notifications'>): void {
    this.omitted += event.omitted
    const batch = event.items
    const n = batch.length
    if (n === 0) return
    const fresh = new Array<StreamItem>(n)
    for (let i = 0; i < n; i++) {
      const item = batch[i] as MbedLiveNotification
      // The batch is oldest first; the list is newest first.
      fresh[n - 1 - i] = { ...item, seq: ++this.#seq, epKey: item.ep.toLowerCase(), pathKey: item.path.toLowerCase() }
    }
    const next = fresh.concat(this.#latest)
    if (next.length > STREAM_CAPACITY) next.length = STREAM_CAPACITY
    this.#latest = next
    this.received += n
    if (this.frozen) this.unseen += n
    else this.items = next
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    if (!this.held) this.#show()
  }

  setHeld(held: boolean): void {
    if (held === this.held) return
    this.held = held
    if (!this.frozen) this.#show()
  }

  clear(): void {
    this.#latest = []
    this.items = []
    this.unseen = 0
    this.received = 0
    this.omitted = 0
  }

  #show(): void {
    this.items = this.#latest
    this.unseen = 0
  }
}
