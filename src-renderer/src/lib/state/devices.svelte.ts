import type { DeviceSummary, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { PagedRows, type Page } from './paged-rows.svelte'

/** The device list: the core's filtered result, a page at a time, for the virtual list on the Devices page. */
export class DeviceList extends PagedRows<DeviceSummary> {
  constructor() {
    super(api, { refreshOn: [{ event: 'devices:changed' }], settleMs: 200, pageSize: 100, maxPages: 30 })
  }

  protected fetchPage(query: string, offset: number, limit: number): Promise<Result<Page<DeviceSummary>>> {
    return api.invoke('devices:list', { query, offset, limit })
  }
}

export const devices = new DeviceList()
