/**
 * Where the rows of a long list of equal rows are, when the list is taller than a browser can scroll. Chromium lays
 * out no box taller than 33,554,432 px (Firefox about 17.9 million): a million devices at 40 px are 40 million, and the
 * rows past the limit could not be scrolled to. Such a list scrolls a box of at most MAX_SCROLL_HEIGHT pixels, and
 * each scrolled pixel moves the rows by `ratio` pixels, so the top of the box shows the first row and its bottom the
 * last. A list that fits scrolls its rows pixel for pixel (ratio 1). Pure, so the arithmetic is tested without a browser.
 */

/** The tallest box the list scrolls, under every browser's limit. */
export const MAX_SCROLL_HEIGHT = 15_000_000

export interface RowScale {
  /** The height of every row together. */
  readonly total: number
  /** The height of the box that scrolls. */
  readonly height: number
  /** How many pixels of rows one scrolled pixel moves. */
  readonly ratio: number
}

export function rowScale(count: number, rowHeight: number, viewport: number, max = MAX_SCROLL_HEIGHT): RowScale {
  const total = Math.max(0, count) * rowHeight
  if (total <= max) return { total, height: total, ratio: 1 }
  const view = Math.max(0, Math.min(viewport, max - 1))
  return { total, height: max, ratio: (total - view) / (max - view) }
}

/** The offset in the rows (0 to total minus the viewport) that a scroll position shows at the top. */
export const rowsOffset = (scale: RowScale, scrollTop: number): number => scrollTop * scale.ratio

/** The scroll position that shows `offset` of the rows at the top. */
export const scrollTopFor = (scale: RowScale, offset: number): number => offset / scale.ratio

/**
 * Where row `index` is drawn in the scrolled box while it is scrolled to `scrollTop`: drawn there, the rows on screen
 * are where the rows' offset puts them. Rows far from the screen may be drawn outside the box (it clips them).
 */
export const rowTop = (scale: RowScale, scrollTop: number, index: number, rowHeight: number): number => index * rowHeight - rowsOffset(scale, scrollTop) + scrollTop

/** The index of the row at `offset` of the rows, within the list. */
export function rowAt(offset: number, rowHeight: number, count: number): number {
  if (count <= 0) return 0
  return Math.min(count - 1, Math.max(0, Math.floor(offset / rowHeight)))
}

/**
 * The rows' offset that brings row `index` into a viewport showing `offset` at its top: the same offset when it is
 * already whole on screen; else it is aligned to the nearest edge, or to the top with `align: 'start'`.
 */
export function offsetToShow(index: number, rowHeight: number, viewport: number, offset: number, align: 'nearest' | 'start' = 'nearest'): number {
  const top = index * rowHeight
  if (align === 'start') return top
  if (top < offset) return top
  if (top + rowHeight > offset + viewport) return Math.max(0, top + rowHeight - viewport)
  return offset
}
