import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import { coreOutOfReach } from '../ws-transport'
import { follow, type EventSource, type FollowOptions } from './event-store.svelte'
import { RowPages } from './row-pages'

export interface Page<T> {
  total: number
  items: T[]
}

/** What a list remembers between two times it is shown: kept by its store, which outlives the page. */
export interface RowsMemory {
  active: number
  offset: number
  /** The list had the focus when a row was opened: coming back gives it back. */
  refocus: boolean
}

export interface PagedRowsOptions<T> extends FollowOptions {
  pageSize: number
  /** Pages kept in memory; with 100,000 rows the list holds at most this many pages' rows. */
  maxPages: number
  /**
   * A row's identity, for lists whose newer rows come first (the audit trail, the inbox): read again, such a list
   * finds its previous first row further down and counts the rows that arrived above it (`inserted`).
   */
  idOf?: (item: T) => string
}

/**
 * A long list the core filters and pages (devices, the audit trail), for a virtual list. `rows` has one slot per
 * matching row and is filled lazily, so the list can size its scrollbar for all of them while only the pages around
 * what is on screen exist. The store base's rules hold: events and reconnects read again, the latest query wins
 * (one first-page read at a time; a keystroke meanwhile only changes what the next one asks for), errors sit beside
 * the last good rows.
 */
export abstract class PagedRows<T> {
  query = $state('')
  total = $state(0)
  rows = $state.raw<readonly (T | undefined)[]>([])
  /** Bumped whenever a new query's result replaces the old one (the list scrolls back to the top). */
  generation = $state(0)
  /**
   * Rows that arrived above the ones read before, counted over every reading again of the same search (newest-first
   * lists): the list moves its place down by as many, so the rows the operator reads stay under their eyes.
   */
  inserted = $state(0)
  loaded = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  /** The list's active row and scroll position, for when the page shows it again (not reactive: the list owns them). */
  readonly memory: RowsMemory = { active: 0, offset: 0, refocus: false }

  readonly #pageSize: number
  readonly #maxPages: number
  readonly #idOf: ((item: T) => string) | undefined
  /** Query the latest keystroke asked for, while a first-page read is under way. */
  #wanted: string | null = null
  #searching = false
  /** The query of the first-page read under way. */
  #reading: string | null = null
  // Bookkeeping of pages, never read by a view: plain collections, not reactive ones.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pages = new Map<number, true>()
  #held: RowPages<T>
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #inflight = new Set<number>()
  #visible: [number, number] = [0, 0]
  #active = 0
  #lastQuery: string | null = null

  constructor(source: EventSource, options: PagedRowsOptions<T>) {
    this.#pageSize = options.pageSize
    this.#maxPages = options.maxPages
    this.#idOf = options.idOf
    this.#held = new RowPages(options.pageSize)
    follow(source, options, () => this.refresh())
  }

  protected abstract fetchPage(query: string, offset: number, limit: number): Promise<Result<Page<T>>>

  /** Pages the first read of `query` asks for in one call (see DeviceList). */
  protected firstPages(_query: string): number {
    return 1
  }

  /** A view shows the list: it reads now and follows changes until the returned function is called. */
  activate(): () => void {
    this.#active++
    this.#read()
    let active = true
    return () => {
      if (active) this.#active--
      active = false
    }
  }

  /**
   * Shows the list of `query`. The query of the read already under way (the page's address catching up with the
   * keystroke that sent it, a keystroke undone) asks for nothing more: its answer is the latest again, unless the data
   * changed since it left (a refresh of it waits, and is kept).
   */
  search(query: string): void {
    this.query = query
    if (!this.#searching || query !== this.#reading) this.#read()
    else if (this.#wanted !== query) this.#wanted = null
  }

  /** Reads the current query again in place (same scroll position), after the data changed underneath. */
  refresh(): void {
    if (this.#active > 0) this.#read()
  }

  #read(): void {
    this.#wanted = this.query
    if (!this.#searching) void this.#drain()
  }

  /** Called by the list with the rows on screen; fetches the missing pages around them. */
  ensureRange(start: number, end: number): void {
    this.#visible = [start, end]
    const first = Math.max(0, Math.floor(start / this.#pageSize))
    const last = Math.min(Math.floor((this.total - 1) / this.#pageSize), Math.floor(end / this.#pageSize) + 1)
    for (let page = first; page <= last; page++) {
      if (this.#pages.has(page)) {
        // Most recently used last: eviction takes the oldest first.
        this.#pages.delete(page)
        this.#pages.set(page, true)
      } else if (!this.#inflight.has(page)) {
        void this.#fetchPage(page)
      }
    }
  }

  async #drain(): Promise<void> {
    this.#searching = true
    while (this.#wanted !== null) {
      const query = this.#wanted
      this.#wanted = null
      this.#reading = query
      const result = await this.fetchPage(query, 0, this.#pageSize * this.firstPages(query))
      if (this.#wanted !== null) continue
      if (!result.ok) {
        this.#failed(result.error)
        continue
      }
      const sameQuery = this.#lastQuery === query
      this.#lastQuery = query
      const above = sameQuery ? this.#arrivedAbove(this.#held.at(0), result.value.items) : 0
      this.#held.reset(result.value.total)
      this.#pages.clear()
      this.#inflight.clear()
      const { items } = result.value
      for (let page = 0; page === 0 || page * this.#pageSize < items.length; page++) {
        this.#held.put(page, items.slice(page * this.#pageSize, (page + 1) * this.#pageSize))
        this.#pages.set(page, true)
      }
      this.error = null
      this.total = result.value.total
      this.rows = this.#held.view()
      this.loaded = true
      if (sameQuery) {
        if (above > 0) {
          this.#visible = [this.#visible[0] + above, this.#visible[1] + above]
          this.inserted += above
        }
        this.ensureRange(...this.#visible)
      } else this.generation++
    }
    this.#searching = false
    this.#reading = null
  }

  /**
   * How many rows of a newest-first list's first page came before the row that was first: 0 when it is not in that page
   * (removed, or more than a page arrived), where the list cannot tell and stays where it is.
   */
  #arrivedAbove(previousFirst: T | undefined, items: readonly T[]): number {
    if (!this.#idOf || previousFirst === undefined) return 0
    const id = this.#idOf(previousFirst)
    const at = items.findIndex((item) => this.#idOf!(item) === id)
    return Math.max(0, at)
  }

  /**
   * A read that failed. Rows already shown stay without an alert when the core only went out of reach (the connection
   * banner says so; the rows are read again as they are asked for): the operator did nothing that failed.
   */
  #failed(error: ErrorInfo): void {
    if (!(this.loaded && coreOutOfReach(error))) this.error = error
  }

  async #fetchPage(page: number): Promise<void> {
    const generation = this.generation
    this.#inflight.add(page)
    const result = await this.fetchPage(this.query, page * this.#pageSize, this.#pageSize)
    // A newer search replaced the result while this page was on its way.
    if (generation !== this.generation || !this.#inflight.delete(page)) return
    if (!result.ok) {
      this.#failed(result.error)
      return
    }
    this.#held.length = result.value.total
    this.#held.put(page, result.value.items)
    this.#pages.set(page, true)
    this.#evict()
    this.total = result.value.total
    this.rows = this.#held.view()
  }

  #evict(): void {
    for (const page of this.#pages.keys()) {
      if (this.#pages.size <= this.#maxPages) return
      const start = page * this.#pageSize
      if (start <= this.#visible[1] && start + this.#pageSize > this.#visible[0]) continue
      this.#pages.delete(page)
      this.#held.drop(page)
    }
  }
}
