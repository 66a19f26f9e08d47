import type { AuditEntry, ErrorInfo } from '../../../../src-shared/contract'
import { api } from '../api'
import { debounce } from '../debounce'

export const ACTIVITY_PAGE_SIZE = 50

/** The audit trail, newest first, one page at a time. Refreshes only while the page is on screen. */
class ActivityState {
  query = $state('')
  offset = $state(0)
  total = $state(0)
  items = $state.raw<AuditEntry[]>([])
  loaded = $state(false)
  error = $state<ErrorInfo | null>(null)
  #seq = 0
  #active = 0

  constructor() {
    // An import writes many entries in a burst; one reload after it settles is enough.
    const refresh = debounce(() => this.#reloadIfActive(), 300)
    api.on('audit:changed', () => refresh())
    api.onReconnect(() => this.#reloadIfActive())
  }

  /** Returns the function that stops the refreshing (for a component's teardown). */
  activate(): () => void {
    this.#active++
    void this.load()
    return () => {
      this.#active--
    }
  }

  filter(query: string): void {
    this.query = query
    this.offset = 0
    void this.load()
  }

  next(): void {
    if (this.offset + ACTIVITY_PAGE_SIZE >= this.total) return
    this.offset += ACTIVITY_PAGE_SIZE
    void this.load()
  }

  previous(): void {
    if (this.offset === 0) return
    this.offset = Math.max(0, this.offset - ACTIVITY_PAGE_SIZE)
    void this.load()
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('audit:list', {
      query: this.query,
      offset: this.offset,
      limit: ACTIVITY_PAGE_SIZE,
    })
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.error = null
    this.total = result.value.total
    this.items = result.value.items
    this.loaded = true
  }

  #reloadIfActive(): void {
    if (this.#active > 0) void this.load()
  }
}

export const activity = new ActivityState()
