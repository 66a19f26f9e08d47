/**
 * A fixed-capacity FIFO that, when full, drops its OLDEST item to make room — what the bridge needs while the MQTT
 * broker is away: the newest readings matter most, and memory stays bounded however long the outage. The caller
 * counts what was dropped (a drop is never silent).
 *
 * A ring buffer rather than Array#shift: at several thousand notifications per second, shift's O(n) copy would cost
 * more than everything else the bridge does per message.
 */
export class DropOldestQueue<T> {
  readonly capacity: number
  #items: (T | undefined)[]
  #head = 0
  #length = 0

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`)
    this.capacity = capacity
    // Grown on demand up to capacity, so a large configured size costs nothing until an outage fills it.
    this.#items = new Array<T | undefined>(Math.min(capacity, 1024))
  }

  get length(): number {
    return this.#length
  }

  /** Appends `item`; returns how many items were dropped to make room (0 or 1). */
  push(item: T): number {
    if (this.#length === this.capacity) {
      this.#items[this.#head] = undefined
      this.#head = (this.#head + 1) % this.#items.length
      this.#length--
      this.#place(item)
      return 1
    }
    if (this.#length === this.#items.length) this.#grow()
    this.#place(item)
    return 0
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) % this.#items.length
    this.#length--
    return item
  }

  /**
   * Puts back `items` (oldest first) in front of everything queued: they are older than what is queued (messages
   * whose publish failed). When they do not all fit, the oldest of them are dropped; returns how many.
   */
  unshiftAll(items: readonly T[]): number {
    const free = this.capacity - this.#length
    const dropped = Math.max(0, items.length - free)
    for (let i = items.length - 1; i >= dropped; i--) {
      if (this.#length === this.#items.length) this.#grow()
      this.#head = (this.#head - 1 + this.#items.length) % this.#items.length
      this.#items[this.#head] = items[i]
      this.#length++
    }
    return dropped
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const n = this.#length
    this.#items = new Array<T | undefined>(Math.min(this.capacity, 1024))
    this.#head = 0
    this.#length = 0
    return n
  }

  #place(item: T): void {
    this.#items[(this.#head + this.#length) % this.#items.length] = item
    this.#length++
  }

  #grow(): void {
    const size = Math.min(this.capacity, this.#items.length * 2)
    const next = new Array<T | undefined>(size)
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) % this.#items.length]
    this.#items = next
    this.#head = 0
  }
}
