/**
 * Offsets → 1-based line and column, for diagnostics that editors and terminals can point at. The table of line
 * starts is built on the first lookup, not in the constructor: a valid document usually has no diagnostic at all,
 * and a 5 MB text would otherwise be scanned for nothing.
 */
export class LineMap {
  readonly #text: string
  #starts: number[] | undefined

  constructor(text: string) {
    this.#text = text
  }

  position(offset: number): { line: number; column: number } {
    const starts = (this.#starts ??= lineStarts(this.#text))
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 }
  }
}

function lineStarts(text: string): number[] {
  const starts = [0]
  // Only \n ends a line: that is what Monaco and the terminal count for the files operators write (\r\n included).
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts
}
