import type { Output, Result } from '../../../../src-shared/contract'
import type { Notification } from '../../../../src-shared/models/sim-inventory'
import { api } from '../api'
import { debounce } from '../debounce'
import { EventStore } from './event-store.svelte'
import { PagedRows, type Page } from './paged-rows.svelte'

/** How long the unread count must hold still before it is announced: a sync firing fifty alerts is heard once. */
export const ANNOUNCE_SETTLE_MS = 2000
/** The most ids one inbox:markRead call takes (the contract's limit). */
const MARK_BATCH = 500

/**
 * The unread count of the notification inbox, for the navigation badge: kept current from the first paint. The
 * inbox:changed event carries the count, so the badge changes at once without a read. `announced` is what the
 * polite live region says: only a rise (new alerts; the operator's own "mark read" is not news to them), and only
 * once a burst of changes settles.
 */
export class InboxBadge extends EventStore<number> {
  announced = $state<number | null>(null)
  #heard: number | null = null
  readonly #announce = debounce(() => this.#settled(), ANNOUNCE_SETTLE_MS)

  constructor() {
    super(api, { refreshOn: [], live: 'always' })
    api.on('inbox:changed', ({ unread }) => {
      this.accept(unread)
      this.#announce()
    })
    void this.load()
  }

  get unread(): number {
    return this.value ?? 0
  }

  protected async fetch(): Promise<Result<number>> {
    const result = await api.invoke('inbox:list', { unreadOnly: true, limit: 1 })
    return result.ok ? { ok: true, value: result.value.unread } : result
  }

  protected override accept(unread: number): void {
    super.accept(unread)
    // The count on first paint (or after a reconnect) is the baseline, not news.
    this.#heard ??= unread
  }

  #settled(): void {
    const unread = this.unread
    if (this.#heard !== null && unread > this.#heard) this.announced = unread
    this.#heard = unread
  }
}

export type InboxFilter = 'all' | 'unread'

/** The inbox's notifications, newest first, paged for the virtual list; read only while the Inbox page is shown. */
export class InboxList extends PagedRows<Notification> {
  unread = $state(0)

  constructor() {
    super(api, { refreshOn: [{ event: 'inbox:changed' }], settleMs: 200, pageSize: 100, maxPages: 20, idOf: (notification) => notification.id })
  }

  protected async fetchPage(query: string, offset: number, limit: number): Promise<Result<Page<Notification>>> {
    const result = await api.invoke('inbox:list', { unreadOnly: query === 'unread', offset, limit })
    if (result.ok) this.unread = result.value.unread
    return result
  }

  markRead(ids: string[], read: boolean): Promise<Result<Output<'inbox:markRead'>>> {
    return api.invoke('inbox:markRead', { ids, read })
  }

  /** Marks every unread notification read, a batch at a time (the newest unread first) until none is left. */
  async markAllRead(): Promise<Result<{ changed: number }>> {
    let changed = 0
    for (;;) {
      const page = await api.invoke('inbox:list', { unreadOnly: true, limit: MARK_BATCH })
      if (!page.ok) return page
      if (page.value.items.length === 0) return { ok: true, value: { changed } }
      const marked = await this.markRead(
        page.value.items.map((n) => n.id),
        true,
      )
      if (!marked.ok) return marked
      changed += marked.value.changed
      // Nothing changed although some were unread: another window marked them meanwhile; the next read shows it.
      if (marked.value.changed === 0) return { ok: true, value: { changed } }
    }
  }
}

export const inboxBadge = new InboxBadge()
export const inbox = new InboxList()
