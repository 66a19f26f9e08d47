/**
 * EVM nonces, managed here rather than by the library (docs/wire/ledger.md §2: ethers' 250 ms call cache handed out a
 * nonce already used, "nonce too low"). One lane per chain and signer address: a lane hands out one nonce at a time
 * and holds its lock while the caller signs, writes the signed transaction down and sends it, so concurrent submits
 * (the forwarder, an operator's manual submit) never share a nonce and a refused send can give its nonce back before
 * anyone else takes the next one — no gap that would leave later transactions waiting forever.
 *
 * Nothing is persisted here: after a restart the next nonce is the larger of the node's pending count and one past the
 * highest nonce of a transaction the queue wrote down and has not seen committed (`floor`), so a nonce that was signed
 * but never written down is reused and one that was written down is never.
 */
export interface NonceUse<T> {
  used: boolean
  value: T
}

export class NonceLanes {
  readonly #lanes = new Map<string, { next: number | undefined; tail: Promise<void> }>()

  constructor(private readonly floor: (lane: string) => Promise<number>) {}

  /** Runs `fn` with the lane's next nonce, alone on the lane; the nonce is taken only when `fn` says it was used. */
  async run<T>(lane: string, chainNext: () => Promise<number>, fn: (nonce: number) => Promise<NonceUse<T>>): Promise<T> {
    let entry = this.#lanes.get(lane)
    if (!entry) {
      entry = { next: undefined, tail: Promise.resolve() }
      this.#lanes.set(lane, entry)
    }
    const state = entry
    let release!: () => void
    const previous = state.tail
    state.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    try {
      if (state.next === undefined) {
        const [chain, floor] = await Promise.all([chainNext(), this.floor(lane)])
        state.next = Math.max(chain, floor)
      }
      const nonce = state.next
      const result = await fn(nonce)
      if (result.used) state.next = nonce + 1
      return result.value
    } finally {
      release()
    }
  }

  /** Forgets what the lane knows: the next `run` asks the node again (after "nonce too low" from another sender). */
  resync(lane: string): void {
    const entry = this.#lanes.get(lane)
    if (entry) entry.next = undefined
  }
}
