import type { OutboxItem, Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export type ReplayCounts = Output<'outbox:replay'>

/**
 * Carrier changes queued while offline. The count of pending ones feeds the navigation badge, so the list is kept
 * current from the first paint, whether or not a page shows it.
 */
class OutboxState extends EventStore<OutboxItem[]> {
  pending = $state(0)
  replaying = $state(false)

  constructor() {
    super(api, { refreshOn: [{ event: 'outbox:changed' }], live: 'always' })
    // The event says how many are pending: the badge changes at once, before the list is read again.
    api.on('outbox:changed', ({ pending }) => {
      this.pending = pending
    })
    void this.load()
  }

  get items(): OutboxItem[] {
    return this.value ?? []
  }

  protected async fetch(): Promise<Result<OutboxItem[]>> {
    const result = await api.invoke('outbox:list', {})
    return result.ok ? { ok: true, value: result.value.items } : result
  }

  protected override accept(items: OutboxItem[]): void {
    super.accept(items)
    this.pending = items.filter((i) => i.state === 'pending').length
  }

  async replay(): Promise<Result<ReplayCounts>> {
    this.replaying = true
    const result = await api.invoke('outbox:replay', {})
    this.replaying = false
    void this.load()
    return result
  }

  async discard(id: string): Promise<Result<unknown>> {
    const result = await api.invoke('outbox:discard', { id })
    void this.load()
    return result
  }
}

export const outbox = new OutboxState()
