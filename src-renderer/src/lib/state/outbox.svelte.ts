import type { EventPayload, OutboxItem, Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { errorText } from '../errors'
import { EventStore, itemsOf } from './event-store.svelte'
import { notices } from './notices.svelte'

export type ReplayCounts = Output<'outbox:replay'>

/**
 * Carrier changes queued while offline. The count of pending ones feeds the navigation badge, so the list is kept
 * current from the first paint, whether or not a page shows it.
 *
 * When a carrier answers again, the core sends by itself the changes that are safe to send twice (status, rate plan)
 * and says so (outbox:replayed); a queued SMS is sent at most once, so it waits, with what follows it for the same SIM,
 * and a notice that stays until dismissed offers to send it.
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
    api.on('outbox:replayed', (counts) => this.replayed(counts))
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

  /** The core sent what is safe to send again: says so, and asks the operator about the rest. */
  private replayed({ done, failed, held }: EventPayload<'outbox:replayed'>): void {
    if (done + failed > 0) notices.push(failed > 0 ? 'error' : 'success', (t) => t('outbox.automatic.sent', { values: { done, failed } }))
    if (held > 0) {
      notices.push('info', (t) => t('outbox.automatic.held', { values: { count: held } }), {
        label: (t) => t('outbox.replay'),
        name: (t) => t('outbox.automatic.sendHeld', { values: { count: held } }),
        run: async () => {
          const sent = await this.replay()
          if (!sent.ok) notices.push('error', (t) => errorText(t, sent.error))
          else {
            const counts = sent.value
            notices.push(counts.failed + counts.unknown > 0 ? 'error' : 'success', (t) => t('outbox.replayed', { values: { ...counts } }))
          }
        },
      })
    }
  }

  discard(id: string): Promise<Result<unknown>> {
    return this.write(api.invoke('outbox:discard', { id }))
  }
}

export const outbox = new OutboxState()
