/**
 * Forwarding rules (docs/wire/couchdb-kafka.md §5): a device type selector and an event id selector, each a literal or a pattern
 * with `*` for any run of characters, and the destinations of the events they select. Several rules may match one event;
 * it then goes to every destination they name, once each.
 */
import type { HistorianRule } from '../../../src-shared/models/historian'

/**
 * Whether `value` matches `pattern`, where `*` stands for any run of characters. Literal pieces are matched left to
 * right at their first place after the previous one, which is correct for `*` alone and never backtracks.
 */
export function selectorMatches(pattern: string, value: string): boolean {
  const pieces = pattern.split('*')
  if (pieces.length === 1) return pattern === value
  const first = pieces[0] ?? ''
  const last = pieces[pieces.length - 1] ?? ''
  if (!value.startsWith(first) || value.length < first.length + last.length) return false
  let at = first.length
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, at)
    if (found < 0) return false
    at = found + piece.length
  }
  return value.length - last.length >= at && value.endsWith(last)
}

export interface Router {
  /** The destinations of an event, each once, in the order the rules first name them; empty when no rule matches. */
  route(type: string, event: string): readonly string[]
}

/** Compiles the rules; answers are memoised per (type, event): a fleet has few types and event names, and many events. */
export function createRouter(rules: readonly HistorianRule[]): Router {
  const memo = new Map<string, readonly string[]>()
  return {
    route(type, event) {
      const key = `${type}/${event}`
      let hit = memo.get(key)
      if (!hit) {
        const out = new Set<string>()
        for (const r of rules) {
          if (selectorMatches(r.deviceType, type) && selectorMatches(r.eventId, event)) for (const d of r.destinations) out.add(d)
        }
        hit = [...out]
        // Bounded: a flood of made-up event names must not grow the memo without limit.
        if (memo.size >= 10_000) memo.clear()
        memo.set(key, hit)
      }
      return hit
    },
  }
}
