import type { DeviceKey, ErrorInfo, Input, Result } from '../../../../src-shared/contract'
import type { HistoryEvent, HistoryPage } from '../../../../src-shared/models/historian'
import { historyCsvLines } from '../../../../src-shared/models/history-csv'
import { api } from '../api'
import { numericFields, seriesOf, type Point } from '../history-data'

export type HistoryQuery = Pick<Input<'historian:history'>, 'from' | 'to' | 'destination'>

/** Events asked for at a time; "Load more" reads the next page, across bucket databases. */
export const HISTORY_PAGE = 200

/**
 * One device's history as its page shows it: the events of a time range read back from a Cloudant/CouchDB destination,
 * page after page, or from the local copy of what was read before when the destination cannot be reached (with the
 * reason and the time that copy is as of). The numeric fields of the events' data can be charted; what was read can be
 * exported as CSV. A newer read replaces an older one still on its way.
 */
export class DeviceHistory {
  readonly key: DeviceKey
  items = $state.raw<HistoryEvent[]>([])
  /** The query the items answer, once one was read. */
  query = $state.raw<HistoryQuery | null>(null)
  next = $state<string | null>(null)
  loading = $state<'first' | 'more' | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  /** Read from the local copy, because the destination could not be reached (`offline` says why). */
  fromCache = $state(false)
  offline = $state.raw<ErrorInfo | null>(null)
  asOf = $state<string | null>(null)
  /** The numeric field the chart shows; null for none. */
  field = $state<string | null>(null)
  readonly fields = $derived(numericFields(this.items))
  readonly series = $derived<Point[]>(this.field ? seriesOf(this.items, this.field) : [])
  #seq = 0

  constructor(key: DeviceKey) {
    this.key = key
  }

  /** Reads the first page of a range. Null when a newer read replaced it before it answered. */
  async read(query: HistoryQuery): Promise<Result<HistoryPage> | null> {
    const seq = ++this.#seq
    this.loading = 'first'
    const result = await this.#page(query, undefined)
    if (seq !== this.#seq) return null
    this.loading = null
    if (!result.ok) {
      this.error = result.error
      return result
    }
    this.query = query
    this.items = result.value.items
    this.#took(result.value, true)
    if (this.field === null || !this.fields.includes(this.field)) this.field = this.fields[0] ?? null
    return result
  }

  /** Reads the page after the last one. */
  async more(): Promise<Result<HistoryPage> | null> {
    const query = this.query
    const cursor = this.next
    if (!query || !cursor || this.loading) return null
    const seq = ++this.#seq
    this.loading = 'more'
    const result = await this.#page(query, cursor)
    if (seq !== this.#seq) return null
    this.loading = null
    if (!result.ok) {
      this.error = result.error
      return result
    }
    this.items = [...this.items, ...result.value.items]
    this.#took(result.value, false)
    if (this.field === null) this.field = this.fields[0] ?? null
    return result
  }

  /** What was read, as CSV (models/history-csv.ts: a column per field of the data; cells a spreadsheet would run are defused). */
  csv(): string {
    return historyCsvLines(this.items).join('\r\n') + '\r\n'
  }

  #page(query: HistoryQuery, cursor: string | undefined): Promise<Result<HistoryPage>> {
    return api.invoke('historian:history', { ...this.key, ...query, limit: HISTORY_PAGE, ...(cursor ? { cursor } : {}) })
  }

  /** What a page says about where the events shown came from; a later page adds to what the earlier ones said. */
  #took(page: HistoryPage, first: boolean): void {
    this.next = page.next
    this.error = null
    if (first) {
      this.fromCache = page.fromCache
      this.offline = page.offline
      this.asOf = page.asOf
      return
    }
    this.fromCache ||= page.fromCache
    // A next page of the local copy comes without the reason: the first page gave it.
    this.offline = page.offline ?? this.offline
    // What is shown is as old as its oldest read.
    if (page.asOf !== null && (this.asOf === null || page.asOf < this.asOf)) this.asOf = page.asOf
  }
}
