import type { Result } from '../../../../src-shared/contract'
import type { DeviceKey } from '../../../../src-shared/models/device-id'
import type { DeviceColumn, DeviceQuery, DeviceRow } from '../../../../src-shared/models/device-query'
import { api } from '../api'
import { metadataFieldsOf, queryOfView, sameQuery, viewFromSearch, type DeviceView } from '../device-view'
import { deviceOf, keyOf } from './device-keys'
import type { Page } from './paged-rows.svelte'
import { SelectableRows } from './selectable-rows.svelte'

/**
 * The device list: the core's answer to the view in the address (text, filters, sort, columns), a page at a time, for
 * the virtual list on the Devices page; and the operator's selection in it. `query` is the view's query string, so the
 * same address is the same list, and coming back to it keeps the place.
 */
export class DeviceList extends SelectableRows<DeviceRow, DeviceKey, DeviceQuery, DeviceColumn> {
  /** False when the core estimated the total (a very broad text search over a large fleet): the list says "about". */
  totalExact = $state(true)

  constructor() {
    super(api, { refreshOn: [{ event: 'devices:changed' }, { event: 'weather:reading' }], settleMs: 200, pageSize: 100, maxPages: 30 }, { keyOf, itemOf: deviceOf })
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

  /**
   * A list at its top always reads the page after the one on screen too. A text search is often answered by gathering
   * and sorting every match, which a second read would do all over again (at a million devices it was still running
   * when the next keystroke's query came, which waited behind it): its first read brings both pages. A view of fields
   * only is a walk whose first page comes soonest alone (100 rows more cost it ~10 ms at a million).
   */
  protected override firstPages(search: string): number {
    return viewFromSearch(search).text.trim() === '' ? 1 : 2
  }

  /** Another set of devices (not only other columns) makes the selection meaningless: it is dropped. */
  override search(search: string): void {
    if (!sameQuery(viewFromSearch(search), this.view)) {
      this.clearSelection()
    }
    super.search(search)
  }

  protected currentQuery(): DeviceQuery {
    return queryOfView(this.view)
  }

  protected async countMatching(query: DeviceQuery): Promise<Result<number>> {
    const counted = await api.invoke('devices:count', { selection: { query, except: [] }, by: [] })
    return counted.ok ? { ok: true, value: counted.value.total } : counted
  }
}

export const devices = new DeviceList()
