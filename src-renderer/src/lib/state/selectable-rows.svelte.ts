import type { Result } from '../../../../src-shared/contract'
import type { EventSource } from './event-store.svelte'
import { PagedRows, type PagedRowsOptions } from './paged-rows.svelte'
import { QuerySelection, type SelectionKeys } from './query-selection.svelte'

/**
 * A paged list the operator selects in (devices, SIMs): Space and Ctrl+click toggle a row, Shift+click and Shift+arrows
 * select a range, "select all matching" selects the list's query (counted exactly by the core) minus exceptions.
 */
export abstract class SelectableRows<T extends K, K, Q, S> extends PagedRows<T> {
  readonly selection: QuerySelection<Q, K, S>
  /** The row a Shift+click or Shift+arrow extends the selection from: the last one toggled, if any. */
  #anchor: number | null = null

  constructor(source: EventSource, options: PagedRowsOptions, keys: SelectionKeys<K>) {
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
   * Shift+click, Shift+arrow: the rows from the anchor (or, before any toggle, from the row the operator was on) to
   * this one join the selection — those loaded, which are the ones around the screen.
   */
  extend(index: number, fromRow: number): void {
    const anchor = this.#anchor ?? fromRow
    this.#anchor = anchor
    const [from, to] = anchor <= index ? [anchor, index] : [index, anchor]
    this.selection.set(
      this.rows.slice(from, to + 1).filter((r): r is T => r !== undefined),
      true,
    )
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
