import type { Snippet } from 'svelte'

/** One column of a DataTable: its header, how a cell shows, and what sorting by it compares. */
export interface Column<T> {
  id: string
  label: string
  /** The header is read by assistive technology only (a column of buttons). */
  hideLabel?: boolean
  /** The header's content when it is a control (a "choose all" box); `label` then names the column's cells. */
  header?: Snippet
  /** The value sorting compares; a column without one cannot be sorted. */
  sortBy?: (row: T) => string | number | null | undefined
  /** The cell's content; without it the cell shows `text`. */
  cell?: Snippet<[T]>
  text?: (row: T) => string
  /** The cell that names its row (a header cell of scope "row"). */
  rowHeader?: boolean
  /** Class of the column's cells, for their look (a monospace id, no wrapping). */
  class?: string
}

export type SortDirection = 'ascending' | 'descending'

export interface Sort {
  column: string
  direction: SortDirection
}

/** Click on a column's header: sorts by it ascending, then flips the direction. */
export function nextSort(current: Sort | null, column: string): Sort {
  if (current?.column !== column) return { column, direction: 'ascending' }
  return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' }
}

/**
 * Natural order, the way an operator reads names: digit runs compare as numbers (gw-2 before gw-10), letters
 * without regard to case or accents, in the interface language's collation. Empty values go last either way.
 */
export function naturalComparer(locale: string | null | undefined): (a: string | number | null | undefined, b: string | number | null | undefined) => number {
  const collator = new Intl.Collator(locale ?? 'en', { numeric: true, sensitivity: 'base' })
  return (a, b) => {
    const aEmpty = a === null || a === undefined || a === ''
    const bEmpty = b === null || b === undefined || b === ''
    if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1
    if (typeof a === 'number' && typeof b === 'number') return a - b
    return collator.compare(String(a), String(b))
  }
}

/** The rows in the order the sort asks for; the original order breaks ties (and stands when nothing is sorted). */
export function sortRows<T>(rows: readonly T[], columns: readonly Column<T>[], sort: Sort | null, locale: string | null | undefined): readonly T[] {
  const by = sort ? columns.find((c) => c.id === sort.column)?.sortBy : undefined
  if (!sort || !by) return rows
  const compare = naturalComparer(locale)
  const sign = sort.direction === 'ascending' ? 1 : -1
  const empty = (v: unknown) => v === null || v === undefined || v === ''
  return rows
    .map((row, index) => ({ row, index, value: by(row) }))
    .sort((a, b) => {
      // Empty values stay last in both directions: they are not "smallest", they are missing.
      if (empty(a.value) || empty(b.value)) return compare(a.value, b.value) || a.index - b.index
      return sign * compare(a.value, b.value) || a.index - b.index
    })
    .map((entry) => entry.row)
}
