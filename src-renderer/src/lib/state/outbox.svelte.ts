import type { ErrorInfo, OutboxItem, Output } from '../../../../src-shared/contract'
import { api } from '../api'
import { toBridgeError } from '../errors'

export type ReplayCounts = Output<'outbox:replay'>

/**
 * Carrier changes queued while offline. `pending` feeds the navigation badge, so it is kept current from the
 * `outbox:changed` event even when no page shows the list; the list itself is loaded only while shown.
 */
class OutboxState {
  items = $state.raw<OutboxItem[]>([])
  pending = $state(0)
  loaded = $state(false)
  replaying = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #seq = 0
  #active = 0

  constructor() {
    api.on('outbox:changed', ({ pending }) => {
      this.pending = pending
      if (this.#active > 0) void this.load()
    })
    api.onReconnect(() => void this.load())
    // The badge must be right from the first paint, not only after the first change.
    void this.load()
  }

  /** Returns the function that stops the refreshing (for a component's teardown). */
  activate(): () => void {
    this.#active++
    void this.load()
    return () => {
      this.#active--
    }
  }

  async load(): Promise<void> {
    const seq = ++this.#seq
    const result = await api.invoke('outbox:list', {})
    if (seq !== this.#seq) return
    if (!result.ok) {
      this.error = result.error
      return
    }
    this.items = result.value.items
    this.pending = result.value.items.filter((i) => i.state === 'pending').length
    this.error = null
    this.loaded = true
  }

  async replay(): Promise<ReplayCounts | ErrorInfo> {
    this.replaying = true
    try {
      return await api.call('outbox:replay', {})
    } catch (e) {
      return toBridgeError(e)
    } finally {
      this.replaying = false
      void this.load()
    }
  }

  async discard(id: string): Promise<ErrorInfo | null> {
    try {
      await api.call('outbox:discard', { id })
      return null
    } catch (e) {
      return toBridgeError(e)
    } finally {
      void this.load()
    }
  }
}

export const outbox = new OutboxState()
