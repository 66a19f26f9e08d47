/**
 * How device text is compared, searched and sorted: case and accents ignored (an operator types "evry" for "Évry"),
 * numbers in natural order (gw-2 before gw-10), words found by their beginning.
 */

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** Lower case without accents; control characters (which would break index keys) become spaces. */
export function fold(text: string): string {
  // Most identifiers and descriptions are plain ASCII: nothing to decompose or replace (an import folds millions).
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase()
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\p{Cc}/gu, ' ')
}

/** Digits runs longer than this are compared on their first MAX_DIGITS digits (no identifier comes close). */
const MAX_DIGITS = 99
/** Sort keys keep this many characters of a text; beyond it, ties are broken by the device's own key. */
const MAX_SORT_CHARS = 64

/**
 * A key whose plain (code point) order is natural order: every run of digits becomes '0', its length in two digits,
 * then the digits without leading zeros, so 2 < 10 and 007 = 7; the rest is folded. '0' sorts where a digit would,
 * so "gw-" still comes before "gw0" and after "gw ".
 */
export function naturalKey(text: string, maxChars = MAX_SORT_CHARS): string {
  // A loop over UTF-16 units, as /(\d+)|(\D+)/g would split them (\d is ASCII digits only): an import makes millions.
  const folded = fold(text)
  const s = folded.length > maxChars ? folded.slice(0, maxChars) : folded
  let out = ''
  let i = 0
  while (i < s.length) {
    let c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) {
      const from = i
      while (i < s.length && ((c = s.charCodeAt(i)) < 0x30 || c > 0x39)) i++
      out += s.slice(from, i)
      continue
    }
    while (i < s.length && s.charCodeAt(i) === 0x30) i++
    const from = i
    while (i < s.length && (c = s.charCodeAt(i)) >= 0x30 && c <= 0x39) i++
    const digits = from === i ? '0' : s.slice(from, Math.min(i, from + MAX_DIGITS))
    out += `0${digits.length < 10 ? '0' : ''}${digits.length}${digits}`
  }
  return out
}

/** Separators kept inside a word: "gw-0042", "v1.2", "north_east" are words, and so are their parts. */
const WORD = /[\p{L}\p{N}._-]+/gu
const PARTS = /[._-]+/
/** At most this many distinct words of one text are searchable (a description is a line, not a document). */
export const MAX_WORDS = 64
/** Words are searchable on their first MAX_WORD_CHARS characters. */
export const MAX_WORD_CHARS = 48

/**
 * The searchable words of a text: each word as written ("gw-0042") and each part after the first ("0042"), since the
 * first part is a beginning of the whole word already. A search term matches a word it begins.
 */
export function words(text: string): string[] {
  const out = new Set<string>()
  const folded = fold(text)
  if (PRINTABLE_ASCII.test(folded)) asciiWords(folded, out)
  else {
    for (const m of folded.matchAll(WORD)) {
      const word = m[0].replace(/^[._-]+|[._-]+$/g, '')
      if (!word) continue
      out.add(word.slice(0, MAX_WORD_CHARS))
      const parts = word.split(PARTS)
      for (const part of parts.slice(1)) if (part) out.add(part.slice(0, MAX_WORD_CHARS))
      if (out.size >= MAX_WORDS) break
    }
  }
  return out.size > MAX_WORDS ? [...out].slice(0, MAX_WORDS) : [...out]
}

/** In printable ASCII, WORD's letters and digits are [a-z0-9] once folded (A-Z too, should a caller not fold). */
function isWordUnit(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x2e || c === 0x5f || c === 0x2d
}
const isSeparator = (c: number): boolean => c === 0x2e || c === 0x5f || c === 0x2d

/** `words` of printable ASCII text without regular expressions (the same words in the same order): an import splits millions. */
function asciiWords(s: string, out: Set<string>): void {
  const n = s.length
  let i = 0
  while (i < n) {
    while (i < n && !isWordUnit(s.charCodeAt(i))) i++
    let a = i
    while (i < n && isWordUnit(s.charCodeAt(i))) i++
    let b = i
    while (a < b && isSeparator(s.charCodeAt(a))) a++
    while (b > a && isSeparator(s.charCodeAt(b - 1))) b--
    if (a === b) continue
    out.add(s.slice(a, Math.min(b, a + MAX_WORD_CHARS)))
    let p = a
    while (p < b && !isSeparator(s.charCodeAt(p))) p++
    while (p < b) {
      while (p < b && isSeparator(s.charCodeAt(p))) p++
      const q = p
      while (p < b && !isSeparator(s.charCodeAt(p))) p++
      if (p > q) out.add(s.slice(q, Math.min(p, q + MAX_WORD_CHARS)))
    }
    if (out.size >= MAX_WORDS) break
  }
}

/** The terms of a search: every one must begin a word of the device. At most 8 terms; longer ones are cut as words are. */
export function searchTerms(text: string): string[] {
  const out = new Set<string>()
  for (const m of fold(text).matchAll(WORD)) {
    const term = m[0].replace(/^[._-]+|[._-]+$/g, '').slice(0, MAX_WORD_CHARS)
    if (term) out.add(term)
  }
  return [...out].slice(0, 8)
}

/** Whether `term` begins one of `words`. */
export function beginsAny(term: string, candidates: readonly string[]): boolean {
  for (const w of candidates) if (w.startsWith(term)) return true
  return false
}

/**
 * Beginnings of natural keys (`naturalKey`) that together hold the key of every text of at most `maxLength`
 * characters whose folded form begins with `term`, in ascending order and disjoint. A trailing run of digits is open:
 * "gw-07" may go on as gw-07, gw-0712, gw-07999…, whose keys give the run's length first (leading zeros dropped), so
 * there is one beginning per possible length. Some keys under them may not begin with the term (gw-7 for "gw-07"):
 * the caller checks what it reads.
 */
export function naturalPrefixes(term: string, maxLength: number): string[] {
  const folded = fold(term)
  const head = /\d*$/.exec(folded)!.index
  const start = naturalKey(folded.slice(0, head), Infinity)
  const digits = folded.slice(head)
  if (!digits) return [start]
  const significant = digits.replace(/^0+/, '')
  const zeros = digits.length - significant.length
  const out: string[] = []
  for (let length = Math.max(significant.length, 1); length <= Math.min(maxLength - head - zeros, MAX_DIGITS); length++) out.push(`${start}0${String(length).padStart(2, '0')}${significant}`)
  return out
}
