import type { OutboxItem, Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { EventStore, itemsOf } from './event-store.svelte'

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

  protected fetch(): Promise<Result<OutboxItem[]>> {
    return itemsOf(api.invoke('outbox:list', {}))
  }

  protected override accept(items: OutboxItem[]): void {
    super.accept(items)
    this.pending = items.filter((i) => i.state === 'pending').length
  }

  async replay(): Promise<Result<ReplayCounts>> {
    this.replaying = true
    const result = await this.write(api.invoke('outbox:replay', {}))
    this.replaying = false
    return result
  }

  discard(id: string): Promise<Result<unknown>> {
    return this.write(api.invoke('outbox:discard', { id }))
  }
}

export const outbox = new OutboxState()
