/**
 * EVM nonces, managed here rather than by the library (docs/wire/ledger.md §2: ethers' 250 ms call cache handed out a
 * nonce already used, "nonce too low"). One lane per chain and signer address. A caller holds the lane while it takes
 * nonces, signs, writes the signed transactions down and sends them, so concurrent submits (the forwarder, an
 * operator's manual submit) never share a nonce.
 *
 * A batch takes consecutive nonces and its transactions are sent together, so one of them can be refused (insufficient
 * funds) while later ones already reached the node's pool. The refused nonce is given back and is the next one taken:
 * a nonce left unused would keep every later transaction of the signer waiting in the pool forever.
 *
 * Nothing is persisted here. After a restart (or `resync`, when another sender of the key moved the nonce on) the lane
 * is rebuilt from the node's pending count and the nonces of the transactions the queue wrote down and has not seen
 * committed (`written`): the next nonce is past both, and every nonce between the node's count and the highest written
 * one that nothing written uses (signed, never written down, so never sent) is handed out again first.
 */
export interface LaneNonces {
  /** The lowest nonce given back, else the next after the highest taken. */
  take(): number
  /** A nonce taken whose transaction never reached the node (not signed, refused): handed out again. */
  giveBack(nonce: number): void
}

interface Lane {
  next: number | undefined
  free: Set<number>
  tail: Promise<void>
}

export class NonceLanes {
  readonly #lanes = new Map<string, Lane>()

  constructor(private readonly written: (lane: string) => number[]) {}

  /** Runs `fn` alone on the lane with its nonces; `chainNext` is the node's pending transaction count for the signer. */
  async run<T>(lane: string, chainNext: () => Promise<number>, fn: (nonces: LaneNonces) => Promise<T>): Promise<T> {
    let state = this.#lanes.get(lane)
    if (!state) {
      state = { next: undefined, free: new Set(), tail: Promise.resolve() }
      this.#lanes.set(lane, state)
    }
    const entry = state
    let release!: () => void
    const previous = entry.tail
    entry.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    try {
      if (entry.next === undefined) {
        const chain = await chainNext()
        const used = new Set(this.written(lane).filter((n) => n >= chain))
        const top = [...used].reduce((a, b) => Math.max(a, b), chain - 1)
        entry.free = new Set(Array.from({ length: top + 1 - chain }, (_, i) => chain + i).filter((n) => !used.has(n)))
        entry.next = top + 1
      }
      return await fn({
        take() {
          if (entry.free.size > 0) {
            const lowest = Math.min(...entry.free)
            entry.free.delete(lowest)
            return lowest
          }
          return entry.next!++
        },
        giveBack(nonce) {
          if (entry.next !== undefined && nonce < entry.next) entry.free.add(nonce)
        },
      })
    } finally {
      release()
    }
  }

  /** Forgets what the lane knows: the next `run` rebuilds it from the node (after "nonce too low" from another sender). */
  resync(lane: string): void {
    const entry = this.#lanes.get(lane)
    if (entry) {
      entry.next = undefined
      entry.free.clear()
    }
  }
}
