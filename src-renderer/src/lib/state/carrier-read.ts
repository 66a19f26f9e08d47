import type { ErrorInfo } from '../../../../src-shared/contract'
import { api } from '../api'
import { randomId } from '../random-id'

/** The core's answer to a read the operator cancelled (reads:cancel): nothing about the carrier, the data shown stays. */
export function isCancelled(error: ErrorInfo | null | undefined): boolean {
  return error?.code === 'CANCELLED'
}

/**
 * The read of a carrier a panel waits for, named so that the operator can cancel it: on a stalled link a read holds
 * the panel (and the carrier account) up to its 20 s deadline, and an operator who sees it hang can stop it.
 */
export class CancellableRead {
  #current: string | null = null

  /** The id to send with a new read; it replaces the one before (only the latest read can be cancelled). */
  start(): string {
    return (this.#current = randomId())
  }

  /** The read answered: nothing left to cancel. */
  end(readId: string): void {
    if (this.#current === readId) this.#current = null
  }

  /** Asks the core to abandon the read under way; its own answer then says CANCELLED. */
  async cancel(): Promise<void> {
    const readId = this.#current
    if (readId) await api.invoke('reads:cancel', { readId })
  }
}

/**
 * Calls `back` each time the browser says the network came back ('online' on the window), until the returned function
 * is called: once per return, as the browser fires it once.
 */
export function onLinkBack(back: () => void): () => void {
  window.addEventListener('online', back)
  return () => window.removeEventListener('online', back)
}
