import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import { MAX_SELECTION_KEYS } from '../../../../src-shared/models/device-query'
import { errorText } from '../errors'
import type { EventSource } from './event-store.svelte'
import { notices } from './notices.svelte'
import { PagedRows, type PagedRowsOptions } from './paged-rows.svelte'
import { QuerySelection, type SelectionKeys } from './query-selection.svelte'

/** Rows read per call while a range selection fills its gaps (the contract's largest page). */
const RANGE_READ = 1000

function refused(code: ErrorInfo['code'], key: string, params: Record<string, string | number> = {}): Result<never> {
  const error: ErrorInfo = { code, message: key, details: { ref: { key, params } } }
  return { ok: false, error }
}

/**
 * A paged list the operator selects in (devices, SIMs): Space and Ctrl+click toggle a row, Shift+click and Shift+arrows
 * select a range, "select all matching" selects the list's query (counted exactly by the core) minus exceptions.
 */
export abstract class SelectableRows<T extends K, K, Q, S> extends PagedRows<T> {
  readonly selection: QuerySelection<Q, K, S>
  /** The row a Shift+click or Shift+arrow extends the selection from: the last one toggled, if any. */
  #anchor: number | null = null

  constructor(source: EventSource, options: PagedRowsOptions<T>, keys: SelectionKeys<K>) {
    super(source, options)
    this.selection = new QuerySelection(keys)
  }

  /** The query the list shows now, as the core takes it. */
  protected abstract currentQuery(): Q
  /** How many items the query matches, counted exactly by the core. */
  protected abstract countMatching(query: Q): Promise<Result<number>>

  /** Space, Ctrl+click: one row in or out of the selection; it becomes the anchor of a range. */
  toggle(index: number): void {
    const row = this.rows[index]
    if (!row) return
    this.selection.toggle(row)
    this.#anchor = index
  }

  clearSelection(): void {
    this.selection.clear()
    this.#anchor = null
  }

  /**
   * Shift+click, Shift+arrow, Shift+End: the rows from the anchor (or, before any toggle, from the row the operator was
   * on) to this one join the selection, every one of them: the rows not loaded (a Shift+End far down a long list) are
   * read from the core first, RANGE_READ at a time. A range the selection cannot name row by row is refused whole (the
   * operator selects all matching instead), and so is one whose list changed while its rows were read.
   */
  async extend(index: number, fromRow: number): Promise<Result<number>> {
    const anchor = this.#anchor ?? fromRow
    this.#anchor = anchor
    const [from, to] = anchor <= index ? [anchor, index] : [index, anchor]
    if (to - from + 1 > MAX_SELECTION_KEYS) return refused('VALIDATION', 'selection.rangeTooLong', { max: MAX_SELECTION_KEYS })
    const query = this.query
    const rows = this.rows.slice(from, to + 1)
    for (let at = 0; at < rows.length; at++) {
      if (rows[at] !== undefined) continue
      const read = await this.fetchPage(query, from + at, Math.min(RANGE_READ, rows.length - at))
      if (!read.ok) return read
      if (this.query !== query) return refused('CONFLICT', 'selection.rangeChanged')
      read.value.items.forEach((item, i) => (rows[at + i] ??= item))
      // The list is shorter than when the range was taken (devices deleted meanwhile): the rest is not there.
      if (read.value.items.length === 0) break
    }
    const items = rows.filter((r): r is T => r !== undefined)
    if (!this.selection.set(items, true)) return refused('VALIDATION', 'selection.rangeTooLong', { max: MAX_SELECTION_KEYS })
    return { ok: true, value: items.length }
  }

  /** `extend` as the list asks for it (Shift+click, Shift+arrows, Shift+End): a range refused or not read is said in a notice. */
  selectRange(index: number, fromRow: number): void {
    void this.extend(index, fromRow).then((result) => {
      if (!result.ok) notices.push('error', (t) => errorText(t, result.error))
    })
  }

  /** Selects every item the list's query matches, counted exactly by the core (the page's total may be an estimate). */
  async selectAllMatching(): Promise<Result<number>> {
    const query = this.currentQuery()
    const counted = await this.countMatching(query)
    if (!counted.ok) return counted
    // The operator changed the view while the count was on its way: that selection is no longer what was asked.
    if (JSON.stringify(this.currentQuery()) !== JSON.stringify(query)) return counted
    this.selection.selectAll(query, counted.value)
    return counted
  }
}
