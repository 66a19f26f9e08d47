import type { ErrorInfo } from '../../../../src-shared/contract'
import type { Carrier } from '../../../../src-shared/models/sim'
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

/** The carrier account a panel reads through: its carrier kind and profile id, as the core names them in `carriers:answering`. */
export interface CarrierAccount {
  carrier: Carrier
  profileId: string
}

/**
 * Calls `back` each time the network comes back for the panel, until the returned function is called: when the browser
 * says so ('online' on the window, fired once per return), and when the core sees the panel's carrier account answer
 * again after it could not be reached (`carriers:answering`, once per return). On a 4G link the OS often stays
 * "online" while the carrier cannot be reached, so the browser alone never says it came back. `account` is asked
 * when the core speaks: the account of the copy shown then (null while the panel knows none).
 */
export function onLinkBack(back: () => void, account: () => CarrierAccount | null): () => void {
  window.addEventListener('online', back)
  const stop = api.on('carriers:answering', (e) => {
    const shown = account()
    if (shown && shown.carrier === e.carrier && shown.profileId === e.profileId) back()
  })
  return () => {
    window.removeEventListener('online', back)
    stop()
  }
}
