/**
 * Delay before retry number `failures` (1 = after the first failure): the step doubles from minMs up to maxMs,
 * and the delay is drawn from the upper half of the step ("equal jitter"). The jitter spreads many consoles
 * reconnecting to a restarted broker; the floor of half a step keeps a single client from retrying in a burst.
 */
export function backoffDelay(failures: number, range: { minMs: number; maxMs: number }, random: () => number = Math.random): number {
  const step = Math.min(range.maxMs, range.minMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30))
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.round(step / 2 + (step / 2) * r)
}
