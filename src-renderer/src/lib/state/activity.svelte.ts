import type { AuditEntry, ErrorInfo, Result } from '../../../../src-shared/contract'
import { csvRecord } from '../../../../src-shared/models/device-table'
import { activityViewFromSearch, auditFilterOf, auditFilterUntil, type ActivityView } from '../activity-view'
import { api, type Api } from '../api'
import { csvBlob } from '../download'
import { PagedRows, type Page } from './paged-rows.svelte'

/** Rows read per call when exporting: the contract's largest page. */
const EXPORT_PAGE = 1000

/**
 * The audit trail, newest first, for the virtual list on the Activity page; read only while that page is shown.
 * The list's query is the page's address query (activity-view.ts), so text and filters change together and the
 * latest one wins. It reads again when the trail changes and when the outbox does (a queued change sent or refused).
 */
export class ActivityLog extends PagedRows<AuditEntry> {
  /** Every action and actor in the trail, for the filters' choices. */
  facets = $state.raw<{ actions: string[]; actors: string[] }>({ actions: [], actors: [] })
  readonly #source: Pick<Api, 'invoke'>

  constructor(source: Api = api) {
    // An import writes many entries in a burst; one read after it settles is enough.
    super(source, { refreshOn: [{ event: 'audit:changed' }, { event: 'outbox:changed' }], settleMs: 300, pageSize: 100, maxPages: 20, idOf: (entry) => entry.id })
    this.#source = source
  }

  /** The view the list shows now. */
  get view(): ActivityView {
    return activityViewFromSearch(this.query)
  }

  protected async fetchPage(search: string, offset: number, limit: number): Promise<Result<Page<AuditEntry>>> {
    const view = activityViewFromSearch(search)
    const result = await this.#source.invoke('audit:list', { query: view.text, offset, limit, filter: auditFilterOf(view) })
    if (result.ok) this.facets = result.value.facets
    return result
  }

  /**
   * Every entry the view matches, as CSV (RFC 4180, every cell safe to open in a spreadsheet: device-table.ts), with
   * the cells in the operator's words; read page by page. Entries written after the export starts are left out, so
   * the pages (newest first) do not shift under it and no row is written twice.
   */
  async exportCsv(header: readonly string[], cells: (entry: AuditEntry) => string[]): Promise<{ ok: true; blob: Blob; rows: number } | { ok: false; error: ErrorInfo }> {
    const filter = auditFilterUntil(this.view, Date.now())
    const text = this.view.text
    const parts: string[] = [csvRecord(header)]
    for (let offset = 0; ; offset += EXPORT_PAGE) {
      const page = await this.#source.invoke('audit:list', { query: text, offset, limit: EXPORT_PAGE, filter })
      if (!page.ok) return { ok: false, error: page.error }
      for (const entry of page.value.items) parts.push(csvRecord(cells(entry)))
      if (offset + EXPORT_PAGE >= page.value.total || page.value.items.length === 0) return { ok: true, blob: csvBlob(parts), rows: parts.length - 1 }
    }
  }
}

export const activity = new ActivityLog()
