import type { ErrorInfo, DeviceSummary } from '../../../../src-shared/contract'
import { api } from '../api'
import { debounce } from '../debounce'

const PAGE_SIZE = 100
/** Pages kept in memory; with 100,000 devices the list holds at most this many pages' rows. */
const MAX_PAGES = 30

/**
 * The device list as pages of the core's filtered result. `rows` has one slot per matching device and is
 * filled lazily, so the virtual list can size its scrollbar for all of them while only a few pages exist.
 */
class DeviceListState {
  query = $state('')
  total = $state(0)
  rows = $state.raw<(DeviceSummary | undefined)[]>([])
  /** Bumped whenever a new result replaces the old one (the list scrolls back to the top). */
  generation = $state(0)
  loaded = $state(false)
  error = $state<ErrorInfo | null>(null)

  /** Query the latest keystroke asked for; only one first-page request runs at a time (latest wins). */
  #wanted: string | null = null
  #searching = false
  #pages = new Map<number, true>()
  #inflight = new Set<number>()
  #visible: [number, number] = [0, 0]
  #started = false
  #lastQuery: string | null = null

  constructor() {
    const refresh = debounce(() => this.refresh(), 200)
    api.on('devices:changed', () => refresh())
    api.onReconnect(() => this.refresh())
  }

  start(): void {
    if (this.#started) return
    this.#started = true
    this.search(this.query)
  }

  search(query: string): void {
    this.query = query
    this.#wanted = query
    if (!this.#searching) void this.#drain()
  }

  /** Reloads the current query in place (same scroll position), after the data changed underneath. */
  refresh(): void {
    if (this.#started) this.search(this.query)
  }

  /** Called by the list with the rows on screen; fetches the missing pages around them. */
  ensureRange(start: number, end: number): void {
    this.#visible = [start, end]
    const first = Math.max(0, Math.floor(start / PAGE_SIZE))
    const last = Math.min(Math.floor((this.total - 1) / PAGE_SIZE), Math.floor(end / PAGE_SIZE) + 1)
    for (let page = first; page <= last; page++) {
      if (this.#pages.has(page)) {
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
      const result = await api.invoke('devices:list', { query, offset: 0, limit: PAGE_SIZE })
      if (this.#wanted !== null) continue
      if (!result.ok) {
        this.error = result.error
        continue
      }
      const sameQuery = this.#lastQuery === query
      this.#lastQuery = query
      const rows = new Array<DeviceSummary | undefined>(result.value.total)
      result.value.items.forEach((item, i) => (rows[i] = item))
      this.#pages.clear()
      this.#inflight.clear()
      this.#pages.set(0, true)
      this.error = null
      this.total = result.value.total
      this.rows = rows
      this.loaded = true
      if (sameQuery) this.ensureRange(...this.#visible)
      else this.generation++
    }
    this.#searching = false
  }

  async #fetchPage(page: number): Promise<void> {
    const generation = this.generation
    this.#inflight.add(page)
    const result = await api.invoke('devices:list', {
      query: this.query,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
    })
    // A newer search replaced the result while this page was on its way.
    if (generation !== this.generation || !this.#inflight.delete(page)) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    const rows = this.rows.slice()
    if (result.value.total !== rows.length) rows.length = result.value.total
    result.value.items.forEach((item, i) => (rows[page * PAGE_SIZE + i] = item))
    this.#pages.set(page, true)
    this.#evict(rows)
    this.total = result.value.total
    this.rows = rows
  }

  #evict(rows: (DeviceSummary | undefined)[]): void {
    for (const page of this.#pages.keys()) {
      if (this.#pages.size <= MAX_PAGES) return
      const start = page * PAGE_SIZE
      if (start <= this.#visible[1] && start + PAGE_SIZE > this.#visible[0]) continue
      this.#pages.delete(page)
      rows.fill(undefined, start, Math.min(rows.length, start + PAGE_SIZE))
    }
  }
}

export const devices = new DeviceListState()
