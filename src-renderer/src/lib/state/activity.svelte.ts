import type { AuditEntry, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { PagedRows, type Page } from './paged-rows.svelte'

/** The audit trail, newest first, for the virtual list on the Activity page; read only while that page is shown. */
export class ActivityLog extends PagedRows<AuditEntry> {
  constructor() {
    // An import writes many entries in a burst; one read after it settles is enough.
    super(api, { refreshOn: [{ event: 'audit:changed' }], settleMs: 300, pageSize: 100, maxPages: 20 })
  }

  protected fetchPage(query: string, offset: number, limit: number): Promise<Result<Page<AuditEntry>>> {
    return api.invoke('audit:list', { query, offset, limit })
  }
}

export const activity = new ActivityLog()
