/**
 * The devices an import's earlier batches named, kept as 64-bit hashes of their document IDs in typed arrays: 16 bytes a
 * device at most, outside the JavaScript heap. A Set of the ID strings held 55 MB at a million devices, all of it live
 * until the import ended, and V8 lets an import's heap reach four to five times what is live before a full collection
 * (300,000 devices: 300–380 MB at each, 70–85 MB after).
 *
 * A hash says "named before" for an ID never named with odds of one in 2^63 per lookup; the import asks it only of
 * devices the workspace already holds, to tell a file naming a device twice from a device that was there before.
 */
export interface SeenIds {
  add(id: string): void
  has(id: string): boolean
  readonly size: number
}

const INITIAL_SLOTS = 1 << 14

/** Two independent 32-bit hashes of `id` (FNV-1a and a multiplicative one); `low` is never 0, which marks an empty slot. */
function hashes(id: string): [number, number] {
  let high = 0x811c9dc5
  let low = 0x9e3779b9
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i)
    high = Math.imul(high ^ c, 0x01000193)
    low = Math.imul(low ^ c, 0x85ebca6b) ^ (low >>> 13)
  }
  low = Math.imul(low ^ (low >>> 16), 0xc2b2ae35)
  return [high >>> 0, (low | 1) >>> 0]
}

export function createSeenIds(): SeenIds {
  let highs = new Uint32Array(INITIAL_SLOTS)
  let lows = new Uint32Array(INITIAL_SLOTS)
  let size = 0

  /** The slot holding (high, low), or the empty slot where it belongs (linear probing, at most half full). */
  function slot(high: number, low: number, inHighs: Uint32Array, inLows: Uint32Array): number {
    const mask = inHighs.length - 1
    let at = (high ^ Math.imul(low, 0x27d4eb2d)) & mask
    while (inLows[at] !== 0 && (inHighs[at] !== high || inLows[at] !== low)) at = (at + 1) & mask
    return at
  }

  function grow(): void {
    const nextHighs = new Uint32Array(highs.length * 2)
    const nextLows = new Uint32Array(lows.length * 2)
    for (let i = 0; i < lows.length; i++) {
      if (lows[i] === 0) continue
      const at = slot(highs[i]!, lows[i]!, nextHighs, nextLows)
      nextHighs[at] = highs[i]!
      nextLows[at] = lows[i]!
    }
    highs = nextHighs
    lows = nextLows
  }

  return {
    add(id) {
      const [high, low] = hashes(id)
      const at = slot(high, low, highs, lows)
      if (lows[at] !== 0) return
      highs[at] = high
      lows[at] = low
      if (++size * 2 > lows.length) grow()
    },
    has(id) {
      const [high, low] = hashes(id)
      return lows[slot(high, low, highs, lows)] !== 0
    },
    get size() {
      return size
    },
  }
}
