/**
 * The rows of a long paged list, held as the pages read so far, and shown to a virtual list as an array with one slot
 * per matching row. A copy of a million-slot array per page that arrives (8 ms at a million devices, on every page
 * scrolled into view) or an allocation of one per new query would cost what the list's length costs; here a page costs
 * the rows it brings: `view()` is a new read-only array (a proxy, so a reactive view sees a new value) over the same
 * pages, answering `length` and each index from them.
 */
export class RowPages<T> {
  readonly #pageSize: number
  // Read only through `view()`, never reactive itself (a plain .ts module: Svelte's reactive collections are not wanted).
  readonly #pages = new Map<number, readonly T[]>()
  #length = 0

  constructor(pageSize: number) {
    this.#pageSize = pageSize
  }

  get length(): number {
    return this.#length
  }

  set length(length: number) {
    this.#length = length
  }

  /** Forgets every page: a new query's rows start here. */
  reset(length: number): void {
    this.#pages.clear()
    this.#length = length
  }

  /** The rows of `page`, read from the core (a page past the end is cut to the list's length when read). */
  put(page: number, items: readonly T[]): void {
    this.#pages.set(page, items)
  }

  drop(page: number): void {
    this.#pages.delete(page)
  }

  at(index: number): T | undefined {
    if (!(index >= 0 && index < this.#length)) return undefined
    return this.#pages.get(Math.floor(index / this.#pageSize))?.[index % this.#pageSize]
  }

  /** A read-only array of every row, loaded or not (`undefined`); a new one each call, over the same pages. */
  view(): readonly (T | undefined)[] {
    const index = (key: string | symbol): number => (typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1)
    // The target is an empty array: array methods (map, slice, find) see an array and read through the traps.
    return new Proxy([] as (T | undefined)[], {
      get: (target, key, receiver) => {
        if (key === 'length') return this.#length
        const i = index(key)
        return i >= 0 ? this.at(i) : Reflect.get(target, key, receiver)
      },
      has: (target, key) => {
        const i = index(key)
        return i >= 0 ? this.at(i) !== undefined : Reflect.has(target, key)
      },
      set: () => false,
      deleteProperty: () => false,
    })
  }
}
