/**
 * What the command palette offers for what the operator typed, best first. Pure, so the ranking is tested without a
 * browser. Views and actions are matched here; devices come from the device index (devices:query, whose text search
 * finds a device among a million by the start of any word of its type, ID, description, ICCID or serial number), SIMs
 * no device holds from the SIM inventory (sims:query, by a fragment of their digits), and both are ranked here with
 * the rest.
 */

export type PaletteKind = 'device' | 'sim' | 'view' | 'action'

export interface PaletteEntry {
  kind: PaletteKind
  /** Stable and unique among the entries shown (the option's DOM id is made from it). */
  id: string
  label: string
  /** Other texts the entry is found by: a device's SIM identifier, a view's other-language name. */
  aliases?: readonly string[]
}

/** Lower case without accents, so "électricité" is found by "electricite" and "Meter" by "meter". */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

const SEPARATOR = /[\s/\-_.:,;]/

/**
 * How well `query` matches `text` (both folded), or null when it does not: every character of the query must appear
 * in the text in order. A whole match beats a prefix, a prefix beats the start of a word, which beats a fragment
 * inside a word, which beats letters scattered through the text; among equals the shorter text wins (it is closer).
 */
export function matchScore(query: string, text: string): number | null {
  const q = fold(query.trim())
  const t = fold(text)
  if (q === '') return 0
  if (t === q) return 1000
  if (t.startsWith(q)) return 900 - Math.min(t.length, 99)
  const at = t.indexOf(q)
  if (at > 0) {
    const wordStart = SEPARATOR.test(t[at - 1]!)
    return (wordStart ? 700 : 500) - Math.min(t.length, 99)
  }
  // Letters in order: each run of consecutive letters and each one at a word's start counts.
  let score = 0
  let from = 0
  let previous = -2
  for (const c of q) {
    const found = t.indexOf(c, from)
    if (found < 0) return null
    if (found === previous + 1) score += 5
    if (found === 0 || SEPARATOR.test(t[found - 1]!)) score += 8
    previous = found
    from = found + 1
  }
  return 100 + Math.min(score, 299) - Math.min(t.length, 99)
}

/** The best score of an entry's label and aliases. */
export function entryScore(query: string, entry: PaletteEntry): number | null {
  let best: number | null = null
  for (const text of [entry.label, ...(entry.aliases ?? [])]) {
    const score = matchScore(query, text)
    if (score !== null && (best === null || score > best)) best = score
  }
  return best
}

/** Where a kind goes among entries that score the same: going somewhere is the commonest wish, then doing, then a device. */
const KIND_ORDER: Record<PaletteKind, number> = { view: 0, action: 1, device: 2, sim: 3 }

/**
 * The entries worth showing, best first, at most `limit`. `found` are the devices the index answered with: it matched
 * them by words the palette may not see (a description), so a device the palette cannot score still comes, last.
 */
export function rankEntries<E extends PaletteEntry>(query: string, entries: readonly E[], found: readonly E[], limit: number): E[] {
  const scored: { entry: E; score: number; order: number }[] = []
  entries.forEach((entry, order) => {
    const score = entryScore(query, entry)
    if (score !== null) scored.push({ entry, score, order })
  })
  found.forEach((entry, i) => scored.push({ entry, score: entryScore(query, entry) ?? 1, order: entries.length + i }))
  scored.sort((a, b) => b.score - a.score || KIND_ORDER[a.entry.kind] - KIND_ORDER[b.entry.kind] || a.order - b.order)
  return scored.slice(0, limit).map((s) => s.entry)
}

/**
 * The text to ask the device index for. Its search matches the start of words and reads "/" as part of a word, so
 * "meter/m-1" (how the palette names a device) is asked as "meter m-1".
 */
export function deviceSearchText(query: string): string {
  return query.replace(/\//g, ' ').trim().slice(0, 200)
}

/** Fewest digits worth asking the SIM inventory for: fewer match a large share of any fleet's ICCIDs. */
const SIM_FRAGMENT_MIN = 4

/**
 * The fragment of an ICCID or serial number to ask the SIM inventory for, or '' when the text is not one: SIM
 * identifiers are digits (an ICCID, an Orange serial number), and the inventory finds a fragment anywhere in them.
 */
export function simSearchText(query: string): string {
  const text = query.trim()
  return text.length >= SIM_FRAGMENT_MIN && text.length <= 24 && /^\d+$/.test(text) ? text : ''
}
