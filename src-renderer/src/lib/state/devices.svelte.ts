import type { Result } from '../../../../src-shared/contract'
import type { DeviceRow } from '../../../../src-shared/models/device-query'
import { api } from '../api'
import { metadataFieldsOf, queryOfView, sameQuery, viewFromSearch, type DeviceView } from '../device-view'
import { DeviceSelectionState } from './device-selection.svelte'
import { PagedRows, type Page } from './paged-rows.svelte'

/**
 * The device list: the core's answer to the view in the address (text, filters, sort, columns), a page at a time, for
 * the virtual list on the Devices page; and the operator's selection in it. `query` is the view's query string, so the
 * same address is the same list, and coming back to it keeps the place.
 */
export class DeviceList extends PagedRows<DeviceRow> {
  readonly selection = new DeviceSelectionState()
  /** False when the core estimated the total (a very broad text search over a large fleet): the list says "about". */
  totalExact = $state(true)
  /** The row a Shift+click or Shift+arrow extends the selection from: the last one toggled, if any. */
  #anchor: number | null = null

  constructor() {
    super(api, { refreshOn: [{ event: 'devices:changed' }, { event: 'weather:reading' }], settleMs: 200, pageSize: 100, maxPages: 30 })
  }

  get view(): DeviceView {
    return viewFromSearch(this.query)
  }

  protected fetchPage(search: string, offset: number, limit: number): Promise<Result<Page<DeviceRow>>> {
    const view = viewFromSearch(search)
    return api.invoke('devices:query', { query: queryOfView(view), offset, limit, metadataFields: metadataFieldsOf(view.columns) }).then((result) => {
      // Only the answer for the view shown now: one for a view the operator already left says nothing about it.
      if (result.ok && offset === 0 && search === this.query) this.totalExact = result.value.totalExact
      return result
    })
  }

  /** Another set of devices (not only other columns) makes the selection meaningless: it is dropped. */
  override search(search: string): void {
    if (!sameQuery(viewFromSearch(search), this.view)) {
      this.clearSelection()
    }
    super.search(search)
  }

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
      this.rows.slice(from, to + 1).filter((r): r is DeviceRow => r !== undefined),
      true,
    )
  }

  /** Selects every device the view matches, counted exactly by the core (the page's total may be an estimate). */
  async selectAllMatching(): Promise<Result<number>> {
    const query = queryOfView(this.view)
    const counted = await api.invoke('devices:count', { selection: { query, except: [] }, by: [] })
    if (!counted.ok) return counted
    // The operator changed the view while the count was on its way: that selection is no longer what was asked.
    if (JSON.stringify(queryOfView(this.view)) !== JSON.stringify(query)) return { ok: true, value: counted.value.total }
    this.selection.selectAll(query, counted.value.total)
    return { ok: true, value: counted.value.total }
  }
}

export const devices = new DeviceList()
