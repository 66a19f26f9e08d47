import type { DeviceColumn, DeviceQuery, DeviceSelection, FacetField } from '../../../../src-shared/models/device-query'
import { SIM_NOT_CACHED } from '../../../../src-shared/models/device-query'
import type { DeviceKey } from '../../../../src-shared/models/device-id'
import { MAX_PLATFORM_ID } from '../../../../src-shared/models/platform-ids'
import { SIM_STATUSES } from '../../../../src-shared/models/sim'
import { compareKeys, type IndexDb } from '../../store/index-db'
import { facetValues, type Cells } from './cells'
import { decodeRow, type CellFields, type IndexedRow } from './device-row'
import {
  cellPrefix,
  emptyByCell,
  emptyPrefix,
  END,
  idSortValue,
  natKey,
  natOfIdSortKey,
  natOfKey,
  firstOfDevice,
  parseStoredRow,
  storedRowHolds,
  ROW_PREFIX,
  rowKey,
  rowWords,
  SORTED_COLUMNS,
  sortPrefix,
  sortValue,
  wordPrefix,
  idWordPrefix,
  type SortedColumn,
} from './keys'
import type { SelectionTotals } from './selection-totals'
import { concatStreams, emptyStream, lazyStream, listStream, mergeStreams, rangeStream, type Entry, type Stream } from './streams'
import { beginsAny, naturalKey, naturalPrefixes, searchTerms } from './text'

/**
 * How a query is answered from the index, and what it costs at a million devices.
 *
 * - Field filters select cells; their devices are counted exactly from the cells, at once.
 * - A page is a walk through the requested order (a key range, or the cells' ranges merged), dropping devices of other
 *   cells by the cell id stored beside every key: a page costs what it takes to find its rows, not the fleet's size.
 *   Few matches (a rare type, a selective search) are gathered whole and sorted in memory instead.
 * - A search term begins words (keys `t!<word>`): its postings are read up to a limit. A term with few postings
 *   drives the query (only its devices are considered); a search of which every term is common (a letter, a prefix
 *   every ID shares) is checked on the rows the walk meets. Such a page is still fast (common terms match densely),
 *   but its total is an estimate until `count` walks every row.
 * - Deep pages cost what their offset costs: the walk skips the rows before them (whole cells at a time where it can).
 */

/** Where a query switches from gathering matches in memory to walking an order (tests lower them to reach every way). */
export interface QueryLimits {
  /** Devices gathered and sorted in memory when only their keys are needed to order them. */
  enumerate: number
  /** Devices gathered, read and sorted in memory when their rows are needed to order or match them. */
  rows: number
  /** Postings read per term to see whether it is selective. */
  probe: number
  /**
   * Postings read for the term most likely to be selective when no term was after the probe, when its estimated count
   * is at most this (the read goes on to DRIVER_MARGIN times it, as estimates are rough).
   */
  driver: number
  /**
   * Postings of a lone common term read whole, when the order needs no rows, keeping only the page's devices in order:
   * reading keys costs far less than walking rows to matches that lie far into the order (ICCID digits).
   */
  gather: number
}

export const QUERY_LIMITS: QueryLimits = { enumerate: 20_000, rows: 5_000, probe: 2_000, driver: 20_000, gather: 100_000 }

/**
 * Estimates of a term's postings come from sizes on disk (1.06 and 1.11 times the true count in the two cases checked
 * at a million devices): a term read further is read up to this many times the driver limit.
 */
const DRIVER_MARGIN = 1.5
/** The largest share of the filter's rows a lone term may match and still be gathered from its postings (see #plan). */
const GATHER_SHARE = 0.3
/**
 * How far past the gather limit a lone term's estimate may be and its postings still be gathered (the gather gives up
 * at the limit, having read that many postings for nothing). Estimates were measured 0.86–1.11 times the true count
 * (ICCID prefixes, 50,000 postings at 100,000 devices, estimated 43,000–55,000 with the index's format-5 keys, whose
 * shorter nats changed what the sizes on disk say): at 1.5 times the limit, such a term was gathered in vain (11–30 ms,
 * the bench's "ICCID digits" p50 2.2 → 13.5 ms), where walking the rows finds its dense matches at once.
 */
const GATHER_MARGIN = 1.2
/** Rows fetched per read while a walk checks rows. */
const ROW_BATCH = 256
/**
 * Row reads sent at once when many rows are gathered: LevelDB answers them side by side on libuv's threads (searches
 * that gather 2,002 rows at a million devices: median 9.6–9.8 → 8.1–8.4 ms with 4 reads of 256 rather than one of
 * 1,024, timed alternately over 360 searches each).
 */
const ROW_READS_AT_ONCE = 4
/** Cells read side by side when a filter's devices are gathered (see #enumerate). */
const CELLS_READ_AT_ONCE = 8

/**
 * Appends `items` to `target` one by one: `push(...items)` passes every item as an argument on the stack, and a term
 * that names a carrier, a type or an extension reaches whole cells (250,000 devices at a million), past its size.
 */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item)
}

/** What reading one row costs against walking one key: a gathered query that needs rows pays this per device. */
const ROW_COST = 10
/** Entries first read from each cell a merge takes (then more, doubling). */
const MERGE_FIRST_READ = 16
/** What starting one cell's range in a merge costs, in entries walked: an iterator, a seek, a first read. */
const CELL_SETUP_COST = 40

/** The cell of a device whose posting was read without its value: its row, read for the page, tells it. */
const UNKNOWN_CELL = -1
const CELL_COLUMNS = new Set<DeviceColumn>(['carrier', 'simStatus', 'ratePlan', 'extensions', 'configErrors', 'dmSupport'])
const SORTED = new Set<DeviceColumn>(SORTED_COLUMNS)
const STATUS_RANK = new Map<string, number>([...SIM_STATUSES, SIM_NOT_CACHED].map((s, i) => [s, i]))

export interface Order {
  sort: DeviceColumn
  descending: boolean
}

export interface Page {
  total: number
  totalExact: boolean
  rows: { nat: string; row: IndexedRow }[]
}

export interface Tally {
  total: number
  facets: { field: FacetField; values: { value: string; count: number }[] }[]
}

/** A row's place within a cell-ordered column: the group's value, or null for the group shown last. */
function groupValue(column: DeviceColumn, f: CellFields): string | null {
  switch (column) {
    case 'carrier':
      return f.carrier
    case 'simStatus':
      return f.simStatus === null ? null : String(STATUS_RANK.get(f.simStatus) ?? 99).padStart(2, '0')
    case 'ratePlan':
      return f.ratePlan === null ? null : naturalKey(f.ratePlan)
    case 'extensions':
      return f.extensions.length ? f.extensions.join(',') : null
    case 'configErrors':
      return f.configErrors ? '1' : '0'
    case 'dmSupport':
      return f.dmSupport ? '1' : '0'
    default:
      return null
  }
}

const rowOf = (e: Entry): IndexedRow => (e.row ??= decodeRow(e.json!))

/** The first `k` entries offered, in `compare`'s order, without sorting the rest (a max-heap of the k best so far). */
class Firsts {
  readonly #heap: Entry[] = []
  constructor(
    private readonly k: number,
    private readonly compare: (a: Entry, b: Entry) => number,
  ) {}

  /** Whether `e` would be kept: a caller can compare a scratch entry and make one only then. */
  wants(e: Entry): boolean {
    return this.#heap.length < this.k || (this.k > 0 && this.compare(e, this.#heap[0]!) < 0)
  }

  /** Keeps `e`, which `wants` took. */
  add(e: Entry): void {
    const heap = this.#heap
    const compare = this.compare
    if (heap.length < this.k) {
      heap.push(e)
      for (let i = heap.length - 1; i > 0 && compare(heap[i]!, heap[(i - 1) >> 1]!) > 0; i = (i - 1) >> 1) [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1]!, heap[i]!]
      return
    }
    heap[0] = e
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && compare(heap[l]!, heap[m]!) > 0) m = l
      if (r < heap.length && compare(heap[r]!, heap[m]!) > 0) m = r
      if (m === i) return
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }

  sorted(): Entry[] {
    return this.#heap.sort(this.compare)
  }
}

function firstInOrder(entries: readonly Entry[], k: number, compare: (a: Entry, b: Entry) => number): Entry[] {
  const firsts = new Firsts(k, compare)
  for (const e of entries) if (firsts.wants(e)) firsts.add(e)
  return firsts.sorted()
}

/** Needs the row to order devices by this column (the others order by key or cell). */
const orderNeedsRow = (sort: DeviceColumn) => SORTED.has(sort) && sort !== 'deviceId'

/** What a search asks: its terms, and for each the cells all of whose devices it matches by type or extension name. */
interface TextMatch {
  terms: string[]
  termCells: Set<number>[]
}

interface Driver {
  term: number
  /** The term's postings outside its cells (which match whole), within the filter. */
  nats: Map<string, number>
  size: number
}

/** How far one family of a term's postings was read: keys read, whether that was all, the last key read. */
interface FamilyRead {
  read: number
  complete: boolean
  last: string
}

interface Postings {
  nats: Map<string, number>
  complete: boolean
  /** The postings of words other than whole IDs, read first. */
  others: Map<string, number>
  othersComplete: boolean
  /** Where each family's read stopped (other words, whole IDs), to read further from there. */
  reads: [FamilyRead, FamilyRead]
  /** Key spans read, for measuring on disk. */
  spans: [string, string][]
}

interface Stats {
  examined: number
  driverHits: number
  matched: number
}

type Plan =
  /** `entries` in order: all `total` of them, or only the first ones the caller wants. */
  | { kind: 'list'; entries: Entry[]; total: number }
  | {
      kind: 'walk'
      /** Opens the ordered walk; `skipped` matches before it were passed over without reading them (whole cells). */
      open(skip: number): { stream: Stream; skipped: number }
      accept(batch: Entry[]): Promise<Entry[]>
      total: number | null
      estimate(): number
    }

export class DeviceQueries {
  constructor(
    private readonly db: IndexDb,
    private readonly cells: Cells,
    private readonly limits: QueryLimits = QUERY_LIMITS,
  ) {}

  // ---- streams in each order ------------------------------------------------------------------------------------

  #cellStream(cell: number, descending = false, first = MERGE_FIRST_READ): Stream {
    const prefix = cellPrefix(cell)
    return rangeStream(this.db, { gte: prefix, lt: `${prefix}${END}`, reverse: descending, values: false }, (key) => ({ nat: key.slice(prefix.length), cell }), first)
  }

  /**
   * Every device in natural order (or reverse), with its row, keeping those `admits` lets through; only the devices of
   * `types` when given (natural order starts with the type, so each type is one range: a walk for one type does not
   * read through the types before it).
   */
  #rowWalk(descending: boolean, admits: (cell: number) => boolean, types?: readonly string[], holds?: (value: string) => boolean): Stream {
    const parse = (key: string, value: string): Entry | null => {
      if (holds && !holds(value)) return null
      const stored = parseStoredRow(value)
      return admits(stored.cell) ? { nat: key.slice(ROW_PREFIX.length), ...stored } : null
    }
    if (!types) return rangeStream(this.db, { gte: ROW_PREFIX, lt: `${ROW_PREFIX}${END}`, reverse: descending }, parse)
    const prefixes = [...new Set(types.map((t) => `${ROW_PREFIX}${naturalKey(t)}\u0001`))].sort(compareKeys)
    if (descending) prefixes.reverse()
    return concatStreams(prefixes.map((prefix) => lazyStream(() => rangeStream(this.db, { gte: prefix, lt: `${prefix}${END}`, reverse: descending }, parse))))
  }

  /**
   * The devices of some cells in natural order: their cells' ranges merged (a few reads per cell, then the page), or
   * every device walked, keeping those of the cells (nothing to set up, but what it skips is read). The cheaper for
   * the `want` first devices is taken: a rare type is merged, nearly every cell is walked.
   */
  #natural(ids: number[], want: number, descending = false): Stream {
    if (ids.length === 0) return emptyStream
    const count = this.cells.count(ids)
    const types = [...new Set(ids.map((id) => this.cells.get(id)!.fields.typeId))]
    const ofTypes = this.cells.count(
      this.cells
        .all()
        .filter((c) => types.includes(c.fields.typeId))
        .map((c) => c.id),
    )
    const merge = ids.length * CELL_SETUP_COST + want * Math.log2(ids.length + 1)
    const walk = types.length * CELL_SETUP_COST + (want * ofTypes) / Math.max(count, 1)
    if (merge <= walk)
      return mergeStreams(
        ids.map((id) => this.#cellStream(id, descending)),
        descending,
      )
    const set = new Set(ids)
    return this.#rowWalk(descending, (cell) => set.has(cell), types)
  }

  #cellIds(filter: Set<number> | null, test: (c: CellFields) => boolean = () => true): number[] {
    return this.cells
      .all()
      .filter((c) => c.count > 0 && (filter === null || filter.has(c.id)) && test(c.fields))
      .map((c) => c.id)
  }

  /**
   * The devices of `filter`'s cells in the order asked, skipping whole groups of cells within the first `skip` where
   * the order allows it (`skipped` says how many). `want`: how many devices the caller expects to read (the page's end).
   */
  #ordered(order: Order, filter: Set<number> | null, skip: number, want: number, holds?: (value: string) => boolean): { stream: Stream; skipped: number } {
    const admits = (cell: number) => filter === null || filter.has(cell)
    const { sort, descending } = order
    if (sort === 'typeId') return { stream: filter === null ? this.#rowWalk(descending, admits, undefined, holds) : this.#natural(this.#cellIds(filter), want, descending), skipped: 0 }
    if (SORTED.has(sort)) {
      const column = sort as SortedColumn
      const prefix = sortPrefix(column)
      const values = rangeStream(this.db, { gte: prefix, lt: `${prefix}${END}`, reverse: descending }, (key, value) => {
        const cell = Number(value)
        return admits(cell) ? { nat: column === 'deviceId' ? natOfIdSortKey(key, prefix.length) : natOfKey(key, prefix.length, true), cell } : null
      })
      const empty = emptyPrefix(column)
      const emptyRows = rangeStream(
        this.db,
        { gte: empty, lt: `${empty}${END}` },
        (key, value) => {
          const cell = Number(value)
          return admits(cell) ? { nat: key.slice(empty.length), cell } : null
        },
        MERGE_FIRST_READ,
      )
      const byCell = this.#natural(
        this.#cellIds(filter, (c) => emptyByCell(column, c)),
        want,
      )
      return { stream: concatStreams([values, mergeStreams([emptyRows, byCell])]), skipped: 0 }
    }
    // Ordered by a field cells share: the groups of cells in order, each group's devices in natural order.
    const groups = new Map<string | null, number[]>()
    for (const id of this.#cellIds(filter)) {
      const value = groupValue(sort, this.cells.get(id)!.fields)
      groups.set(value, [...(groups.get(value) ?? []), id])
    }
    const values = [...groups.keys()].filter((v): v is string => v !== null).sort((a, b) => (descending ? compareKeys(b, a) : compareKeys(a, b)))
    const ordered: (string | null)[] = groups.has(null) ? [...values, null] : values
    let skipped = 0
    const streams: Stream[] = []
    for (const value of ordered) {
      const ids = groups.get(value)!
      const size = this.cells.count(ids)
      if (streams.length === 0 && skipped + size <= skip) {
        skipped += size
        continue
      }
      // Built when the walk reaches the group: a page rarely goes past the first one or two.
      streams.push(lazyStream(() => this.#natural(ids, want - skipped)))
    }
    return { stream: concatStreams(streams), skipped }
  }

  /** The order of `#ordered` for devices gathered in memory (rows attached where the order needs them). */
  #comparator(order: Order): (a: Entry, b: Entry) => number {
    const dir = order.descending ? -1 : 1
    const { sort } = order
    if (sort === 'typeId') return (a, b) => dir * compareKeys(a.nat, b.nat)
    if (CELL_COLUMNS.has(sort)) {
      const value = (e: Entry) => groupValue(sort, this.cells.get(e.cell)!.fields)
      return (a, b) => {
        const va = value(a)
        const vb = value(b)
        if (va !== vb) {
          if (va === null) return 1
          if (vb === null) return -1
          const c = compareKeys(va, vb)
          if (c !== 0) return dir * c
        }
        return compareKeys(a.nat, b.nat)
      }
    }
    const column = sort as SortedColumn
    // The ID order needs only the nat; the others read the row.
    const value = (e: Entry) => (column === 'deviceId' ? idSortValue(e.nat) : sortValue(column, rowOf(e)))
    return (a, b) => {
      const va = value(a)
      const vb = value(b)
      if (va === null || vb === null) return va === vb ? compareKeys(a.nat, b.nat) : va === null ? 1 : -1
      return dir * compareKeys(`${va}\u0000${a.nat}`, `${vb}\u0000${b.nat}`)
    }
  }

  // ---- reading rows ----------------------------------------------------------------------------------------------

  /** Reads the rows of the entries that have none; entries whose device has gone since are dropped. */
  async withRows(entries: Entry[]): Promise<Entry[]> {
    const missing = entries.filter((e) => e.row === undefined && e.json === undefined)
    if (missing.length === 0) return entries
    const values = await this.db.getMany(missing.map((e) => rowKey(e.nat)))
    missing.forEach((e, i) => {
      const v = values[i]
      if (v !== undefined) Object.assign(e, parseStoredRow(v))
    })
    return entries.filter((e) => e.row !== undefined || e.json !== undefined)
  }

  async #withRowsInBatches(entries: Entry[]): Promise<Entry[]> {
    const out: Entry[] = []
    for (let i = 0; i < entries.length; i += ROW_BATCH * ROW_READS_AT_ONCE) {
      const batches = Array.from({ length: ROW_READS_AT_ONCE }, (_, j) => entries.slice(i + j * ROW_BATCH, i + (j + 1) * ROW_BATCH))
      for (const rows of await Promise.all(batches.map((batch) => this.withRows(batch)))) appendAll(out, rows)
    }
    return out
  }

  /**
   * Every device of the cells `ids`. Each cell is asked for its whole count at once and several cells are read side by
   * side: a filter reaches hundreds of small cells, and reading them one after the other, a few trips each, cost most
   * of its answer (two SIM statuses at 100,000 devices, 8,315 devices: median 29–35 → 12 ms, timed alternately).
   */
  async #enumerate(ids: number[]): Promise<Entry[]> {
    const read = async (id: number): Promise<Entry[]> => {
      const entries: Entry[] = []
      const stream = this.#cellStream(id, false, this.cells.get(id)!.count + 1)
      try {
        for (let batch = await stream.next(); batch.length > 0; batch = await stream.next()) appendAll(entries, batch)
      } finally {
        await stream.close()
      }
      return entries
    }
    const out: Entry[] = []
    for (let i = 0; i < ids.length; i += CELLS_READ_AT_ONCE) for (const entries of await Promise.all(ids.slice(i, i + CELLS_READ_AT_ONCE).map(read))) appendAll(out, entries)
    return out
  }

  // ---- search ----------------------------------------------------------------------------------------------------

  #textMatch(text: string, filter: Set<number> | null): TextMatch {
    const terms = searchTerms(text)
    const termCells = terms.map((term) => new Set(this.#cellIds(filter, () => true).filter((id) => beginsAny(term, this.cells.get(id)!.words))))
    return { terms, termCells }
  }

  /**
   * One family's postings of a term (device → cell), read up to `cap` keys in all; `from` is where an earlier read of
   * it stopped, continued here rather than read again (not when it is already past `cap`).
   */
  async #family(prefix: string, cap: number, into: Map<string, number>, from: FamilyRead = { read: 0, complete: false, last: prefix }): Promise<FamilyRead> {
    if (from.complete || from.read > cap) return from
    const expected = cap + 1 - from.read
    const bounds = from.read === 0 ? { gte: prefix, lt: `${prefix}${END}` } : { gt: from.last, lt: `${prefix}${END}` }
    const range = this.db.range({ ...bounds, expected })
    let { read, last } = from
    try {
      for (;;) {
        const batch = await range.next(Math.min(1000, cap + 1 - read))
        if (batch.length === 0) return { read, complete: true, last: `${prefix}${END}` }
        for (const [key, value] of batch) into.set(natOfKey(key, prefix.length, true), Number(value))
        last = batch.at(-1)![0]
        read += batch.length
        if (read > cap) return { read, complete: false, last }
      }
    } finally {
      await range.close()
    }
  }

  /**
   * A term's postings, read up to `cap`: its other words first (`others`, whole when `othersComplete`), then the IDs
   * it begins. `spans` are the keys read, which `#estimateCount` measures on disk against the whole of both families.
   * `before`, the same term's postings read to a smaller cap, is read further from where it stopped (its maps are
   * taken over: the caller replaces it with the answer).
   */
  async #postings(term: string, cap: number, before?: Postings): Promise<Postings> {
    const others = before?.others ?? new Map<string, number>()
    const other = await this.#family(wordPrefix(term), cap, others, before?.reads[0])
    // The whole IDs are read after the other words only: `before` holds some of them only when it had all of those.
    // `nats` is `others` itself until an ID is added to it: copying tens of thousands of postings (ICCID digits) cost
    // as much as reading them. (No ID is read while the other words are incomplete.)
    let nats = before?.othersComplete ? before.nats : others
    let id: FamilyRead = { read: 0, complete: false, last: idWordPrefix(term) }
    if (other.complete) {
      const ids = new Map<string, number>()
      id = await this.#family(idWordPrefix(term), cap - other.read, ids, before?.reads[1])
      if (ids.size > 0) {
        if (nats === others) nats = new Map(others)
        for (const [nat, cell] of ids) nats.set(nat, cell)
      }
    }
    const spans: [string, string][] = [
      [wordPrefix(term), other.last],
      [idWordPrefix(term), id.last],
    ]
    return { nats, complete: other.complete && id.complete, others, othersComplete: other.complete, reads: [other, id], spans }
  }

  /**
   * Every device a lone term begins a word of, within `filter`, if it has at most `cap` postings: how many, and the
   * first `want` in `order` (all of them, in order, when there are at most 4 times as many, as `list` in #plan keeps
   * them). Tens of thousands of postings for one page (ICCID digits): each device is counted at its first posting
   * (`firstOfDevice`, no set of the devices met) and an entry is made only for one the page's heap takes. The devices'
   * cells are read only to filter or order by them (those of the page come with its rows): keys alone are a fifth less
   * to read.
   */
  async #gather(term: string, cap: number, filter: Set<number> | null, want: number, order: Order): Promise<{ entries: Entry[]; total: number } | null> {
    const compare = this.#comparator(order)
    const cells = filter !== null || CELL_COLUMNS.has(order.sort)
    const firsts = new Firsts(want, compare)
    const scratch: Entry = { nat: '', cell: UNKNOWN_CELL }
    let all: Entry[] | null = []
    let total = 0
    let read = 0
    for (const prefix of [wordPrefix(term), idWordPrefix(term)]) {
      const range = this.db.range({ gte: prefix, lt: `${prefix}${END}`, values: cells, expected: cap + 1 - read })
      try {
        for (;;) {
          const batch = await range.next(Math.min(1000, cap + 1 - read))
          if (batch.length === 0) break
          read += batch.length
          if (read > cap) return null
          for (const [key, value] of batch) {
            if (!firstOfDevice(key, prefix.length, term.length)) continue
            const cell = cells ? Number(value) : UNKNOWN_CELL
            if (filter !== null && !filter.has(cell)) continue
            total++
            scratch.nat = natOfKey(key, prefix.length, true)
            scratch.cell = cell
            if (firsts.wants(scratch)) firsts.add({ nat: scratch.nat, cell })
            if (all === null) continue
            if (total > want * 4) all = null
            else all.push({ nat: scratch.nat, cell })
          }
        }
      } finally {
        await range.close()
      }
    }
    return { entries: all === null || total <= want ? firsts.sorted() : all.sort(compare), total }
  }

  /** Roughly how many postings a term has, from what the probe read and the room its families take on disk (0: unknown). */
  async #estimateCount(term: string, probe: Postings): Promise<number> {
    const size = async (spans: [string, string][]) => (await Promise.all(spans.map(([from, to]) => this.db.approximateSize(from, to)))).reduce((a, b) => a + b, 0)
    const probed = await size(probe.spans)
    if (probed <= 0) return 0
    const whole = await size([wordPrefix(term), idWordPrefix(term)].map((p): [string, string] => [p, `${p}${END}`]))
    return Math.round((whole / probed) * probe.nats.size)
  }

  /**
   * The term to drive the search: the one with the fewest devices, if any term's postings could be read whole. When
   * every term is common after the probe, the one whose postings take the least room on disk is read further, unless
   * that room says it is far beyond the limit (a prefix every ID shares): then no term drives.
   */
  async #driver(tm: TextMatch, filter: Set<number> | null, probed?: Postings[], further = true): Promise<{ driver: Driver | null; probes: Postings[] }> {
    const admits = (cell: number) => filter === null || filter.has(cell)
    const probes = probed ?? (await Promise.all(tm.terms.map((t) => this.#postings(t, this.limits.probe))))
    if (further && !probes.some((p) => p.complete)) {
      const estimates = await Promise.all(tm.terms.map((t, i) => this.#estimateCount(t, probes[i]!)))
      const smallest = estimates.reduce((best, n, i) => (n < estimates[best]! ? i : best), 0)
      // Sizes on disk leave out the newest writes: with nothing measured yet, the term is read further anyway. The read
      // goes on past the limit by a margin for the estimate's error: one that stops short of the term's end is wasted
      // whole (13 ms for 20,000 postings at a million devices), and a term found beyond the limit costs more as a
      // driver than the walk that checks it on the rows ("site 41 " at a million devices: 44 ms driven, 24 walked).
      if (estimates[smallest]! <= this.limits.driver) probes[smallest] = await this.#postings(tm.terms[smallest]!, this.limits.driver * DRIVER_MARGIN, probes[smallest])
    }
    let best: Driver | null = null
    probes.forEach((p, term) => {
      if (!p.complete) return
      const nats = new Map<string, number>()
      for (const [nat, cell] of p.nats) if (admits(cell) && !tm.termCells[term]!.has(cell)) nats.set(nat, cell)
      const size = nats.size + this.cells.count(tm.termCells[term]!)
      if (!best || size < best.size) best = { term, nats, size }
    })
    return { driver: best, probes }
  }

  /** Whether a row holds every term but `skip` (a term is held by its cell's words, or by a word of the row). */
  #rowMatches(e: Entry, tm: TextMatch, skip: number): boolean {
    let words: string | undefined
    for (let i = 0; i < tm.terms.length; i++) {
      if (i === skip || tm.termCells[i]!.has(e.cell)) continue
      words ??= ` ${e.words ?? rowWords(rowOf(e)).join(' ')}`
      if (!words.includes(` ${tm.terms[i]!}`)) return false
    }
    return true
  }

  // ---- plans -----------------------------------------------------------------------------------------------------

  /**
   * Whether a field-only query gathers its devices (every one of the filter's cells, sorted in memory) rather than
   * walking the order: when few enough, and cheaper than the walk to the page's end (`want`).
   */
  #gatherFilter(order: Order, filter: Set<number>, inFilter: number, want: number): boolean {
    const rows = orderNeedsRow(order.sort)
    if (inFilter > (rows ? this.limits.rows : this.limits.enumerate)) return false
    const gather = inFilter * (rows ? ROW_COST : 1)
    const ids = this.#cellIds(filter)
    const walk = SORTED.has(order.sort) ? (want * this.cells.total) / Math.max(inFilter, 1) : ids.length * CELL_SETUP_COST + want * Math.log2(ids.length + 1)
    return gather < walk
  }

  /**
   * Whether a search gathers its driving term's devices and sorts them in memory rather than walking the order: when
   * few enough, and cheaper than a walk that meets them at their density (matches of an ID prefix sit together in
   * natural order, so a walk may read far before its first page: gathering keys is the safe side).
   */
  #gatherDriver(order: Order, tm: TextMatch, driver: Driver, inFilter: number, want: number): boolean {
    const rows = orderNeedsRow(order.sort) || tm.terms.length > 1
    if (driver.size > (rows ? this.limits.rows : this.limits.enumerate)) return false
    return driver.size * (rows ? ROW_COST : 1) < (want * inFilter) / Math.max(driver.size, 1) || !rows
  }

  /** How to answer `query`; `want` is how far into its matches the caller means to read (a page's end, or all). */
  async #plan(query: DeviceQuery, want: number): Promise<Plan> {
    const order: Order = { sort: query.sort, descending: query.descending }
    const filter = this.cells.matching(query.filters)
    const inFilter = this.cells.count(filter)
    const tm = this.#textMatch(query.text, filter)
    const list = async (entries: Entry[], verify: (e: Entry) => boolean): Promise<Plan> => {
      const needRows = orderNeedsRow(order.sort) || tm.terms.length > 1
      const rows = (needRows ? await this.#withRowsInBatches(entries) : entries).filter(verify)
      const compare = this.#comparator(order)
      return { kind: 'list', entries: want * 4 < rows.length ? firstInOrder(rows, want, compare) : rows.sort(compare), total: rows.length }
    }

    if (tm.terms.length === 0) {
      if (filter !== null && this.#gatherFilter(order, filter, inFilter, want)) return list(await this.#enumerate(this.#cellIds(filter)), () => true)
      return { kind: 'walk', open: (skip) => this.#ordered(order, filter, skip, want), accept: (batch) => Promise.resolve(batch), total: inFilter, estimate: () => inFilter }
    }
    if (inFilter === 0) return { kind: 'list', entries: [], total: 0 }

    let { driver, probes } = await this.#driver(tm, filter, undefined, false)
    if (!driver && order.sort === 'typeId') {
      // Before reading a common term further: an ID fragment's ranges answer a page at once, however many IDs it begins.
      const ranged = await this.#idRangePlan(order, tm, probes, filter, inFilter)
      if (ranged) return ranged
    }
    if (!driver) ({ driver, probes } = await this.#driver(tm, filter, probes))
    const stats: Stats = { examined: 0, driverHits: 0, matched: 0 }
    if (driver && this.#gatherDriver(order, tm, driver, inFilter, want)) {
      const entries = [...driver.nats].map(([nat, cell]): Entry => ({ nat, cell }))
      appendAll(entries, await this.#enumerate([...tm.termCells[driver.term]!]))
      return list(entries, (e) => this.#rowMatches(e, tm, driver.term))
    }
    if (driver) {
      const single = tm.terms.length === 1
      const termCells = tm.termCells[driver.term]!
      return {
        kind: 'walk',
        // Whole cells cannot be skipped: a cell's count includes devices the search does not match.
        open: () => this.#ordered(order, filter, 0, want),
        accept: async (batch) => {
          const hits = batch.filter((e) => driver.nats.has(e.nat) || termCells.has(e.cell))
          stats.examined += batch.length
          stats.driverHits += hits.length
          if (single) return hits
          const matched = (await this.withRows(hits)).filter((e) => this.#rowMatches(e, tm, driver.term))
          stats.matched += matched.length
          return matched
        },
        total: single ? driver.size : null,
        estimate: () => (stats.driverHits === 0 ? driver.size : Math.round((driver.size * stats.matched) / stats.driverHits)),
      }
    }
    if (tm.terms.length === 1 && tm.termCells[0]!.size === 0 && !orderNeedsRow(order.sort) && Number.isFinite(want)) {
      const estimate = await this.#estimateCount(tm.terms[0]!, probes[0]!)
      // A term that matches a large share of the rows is met soon by the walk: gathering it reads all its postings for
      // one page (one-letter searches at 100,000 devices took up to 346 ms gathered, 13.7 ms p95 walked; device-list
      // bench). Nothing measured on disk yet (the newest writes): the postings are read anyway, up to the limit.
      const cap = Math.min(this.limits.gather, Math.floor(inFilter * GATHER_SHARE))
      const gathered = estimate <= cap * GATHER_MARGIN ? await this.#gather(tm.terms[0]!, cap, filter, want, order) : null
      if (gathered) return { kind: 'list', ...gathered }
    }
    // Rows the natural-order walk can rule out from their stored words are not decoded, nor counted as examined (so
    // the estimate below counts them among the non-matches through `passed`).
    let ruledOut = 0
    const holds = (value: string) => storedRowHolds(value, tm.terms, tm.termCells) || (ruledOut++, false)
    return {
      kind: 'walk',
      open: () => this.#ordered(order, filter, 0, want, holds),
      accept: async (batch) => {
        stats.examined += batch.length
        const matched = (await this.withRows(batch)).filter((e) => this.#rowMatches(e, tm, -1))
        stats.matched += matched.length
        return matched
      },
      total: null,
      estimate: () => (stats.examined + ruledOut === 0 ? inFilter : Math.round((inFilter * stats.matched) / (stats.examined + ruledOut))),
    }
  }

  /**
   * A search in natural order that no term drives, where one term reaches few devices but through their IDs (a fragment
   * typed from an ID: "dev-07" begins a tenth of a million IDs and no other word): the devices whose ID the term begins
   * lie in a few ranges of each type's natural order (`naturalPrefixes`), read there and merged with the term's few
   * other postings. The first page costs what its matches cost, however far into the order they lie; the plain walk
   * read every row before them.
   */
  async #idRangePlan(order: Order, tm: TextMatch, probes: Postings[], filter: Set<number> | null, inFilter: number): Promise<Plan | null> {
    const term = tm.terms
      .map((_, i) => i)
      .filter((i) => probes[i]!.othersComplete && tm.termCells[i]!.size === 0)
      .sort((a, b) => tm.terms[b]!.length - tm.terms[a]!.length)[0]
    if (term === undefined) return null
    const { descending } = order
    const admits = (cell: number) => filter === null || filter.has(cell)
    const typePrefixes = [...new Set(this.#cellIds(filter).map((id) => `${ROW_PREFIX}${naturalKey(this.cells.get(id)!.fields.typeId)}\u0001`))].sort(compareKeys)
    const idPrefixes = naturalPrefixes(tm.terms[term]!, MAX_PLATFORM_ID)
    if (descending) {
      typePrefixes.reverse()
      idPrefixes.reverse()
    }
    const parse = (key: string, value: string): Entry | null => {
      if (!storedRowHolds(value, tm.terms, tm.termCells)) return null
      const stored = parseStoredRow(value)
      return admits(stored.cell) ? { nat: key.slice(ROW_PREFIX.length), ...stored } : null
    }
    const others = [...probes[term]!.others]
      .filter(([, cell]) => admits(cell))
      .map(([nat, cell]): Entry => ({ nat, cell }))
      .sort((a, b) => (descending ? compareKeys(b.nat, a.nat) : compareKeys(a.nat, b.nat)))
    const expected = Math.round(((await this.#estimateCount(tm.terms[term]!, probes[term]!)) * inFilter) / Math.max(this.cells.total, 1))
    let previous: string | null = null
    return {
      kind: 'walk',
      open: () => {
        const ranges = typePrefixes.flatMap((type) =>
          idPrefixes.map((id) => lazyStream(() => rangeStream(this.db, { gte: `${type}${id}`, lt: `${type}${id}${END}`, reverse: descending }, parse, MERGE_FIRST_READ))),
        )
        return { stream: others.length ? mergeStreams([concatStreams(ranges), listStream(others)], descending) : concatStreams(ranges), skipped: 0 }
      },
      accept: async (batch) => {
        // A device whose ID and another word both begin with the term comes from both streams, one after the other.
        const fresh = batch.filter((e) => {
          const seen = e.nat === previous
          previous = e.nat
          return !seen
        })
        return (await this.withRows(fresh)).filter((e) => this.#rowMatches(e, tm, -1))
      },
      total: null,
      estimate: () => expected,
    }
  }

  // ---- answers ---------------------------------------------------------------------------------------------------

  /** `totals`: what earlier pages of the same selection, in any order, found its total to be (selection-totals.ts). */
  async page(query: DeviceQuery, offset: number, limit: number, totals?: SelectionTotals): Promise<Page> {
    const plan = await this.#plan(query, offset + limit)
    const selection = this.#selectionKey(query)
    if (plan.kind === 'list') {
      const slice = await this.withRows(plan.entries.slice(offset, offset + limit))
      totals?.set(selection, { total: plan.total, exact: true })
      return { total: plan.total, totalExact: true, rows: slice.map((e) => ({ nat: e.nat, row: rowOf(e) })) }
    }
    const { stream, skipped } = plan.open(offset)
    let toSkip = offset - skipped
    let matched = skipped
    let exhausted = false
    const kept: Entry[] = []
    try {
      walk: for (;;) {
        const batch = await stream.next()
        if (batch.length === 0) {
          exhausted = true
          break
        }
        for (const e of await plan.accept(batch)) {
          matched++
          if (toSkip > 0) {
            toSkip--
            continue
          }
          kept.push(e)
          if (kept.length >= limit) break walk
        }
      }
    } finally {
      await stream.close()
    }
    const rows = await this.withRows(kept)
    const out = (total: number, totalExact: boolean): Page => ({ total, totalExact, rows: rows.map((e) => ({ nat: e.nat, row: rowOf(e) })) })
    if (plan.total !== null || exhausted) {
      const total = plan.total ?? matched
      totals?.set(selection, { total, exact: true })
      return out(total, true)
    }
    // An estimate, sampled from the rows this order met first: the one the selection was first given stands, so that
    // another sort of the same devices does not change it (and an exact total found meanwhile replaces it).
    const known = totals?.get(selection)
    if (known?.exact) return out(known.total, true)
    const estimate = known?.total ?? plan.estimate()
    totals?.set(selection, { total: estimate, exact: false })
    return out(Math.max(estimate, matched + 1), false)
  }

  /** A selection whatever its order: the cells its filters admit and its search's terms (which decide the matches). */
  #selectionKey(query: DeviceQuery): string {
    const filter = this.cells.matching(query.filters)
    const cells = filter === null ? 'all' : [...filter].sort((a, b) => a - b).join(',')
    return `${cells}|${[...new Set(searchTerms(query.text))].sort().join(' ')}`
  }

  /**
   * Every device of a selection, in its order, a batch at a time, with rows. Reads as it goes: an export of a million
   * devices holds one batch in memory.
   */
  async *rows(selection: DeviceSelection): AsyncGenerator<{ nat: string; row: IndexedRow }[]> {
    if ('keys' in selection) {
      const entries = await this.#keyed(selection.keys)
      entries.sort(this.#comparator({ sort: selection.sort, descending: selection.descending }))
      for (let i = 0; i < entries.length; i += ROW_BATCH) yield entries.slice(i, i + ROW_BATCH).map((e) => ({ nat: e.nat, row: rowOf(e) }))
      return
    }
    const except = new Set(selection.except.map(natKey))
    const plan = await this.#plan(selection.query, Infinity)
    if (plan.kind === 'list') {
      const kept = plan.entries.filter((e) => !except.has(e.nat))
      for (let i = 0; i < kept.length; i += ROW_BATCH) yield (await this.withRows(kept.slice(i, i + ROW_BATCH))).map((e) => ({ nat: e.nat, row: rowOf(e) }))
      return
    }
    const { stream } = plan.open(0)
    try {
      for (let batch = await stream.next(); batch.length > 0; batch = await stream.next()) {
        const kept = (await plan.accept(batch)).filter((e) => !except.has(e.nat))
        if (kept.length > 0) yield (await this.withRows(kept)).map((e) => ({ nat: e.nat, row: rowOf(e) }))
      }
    } finally {
      await stream.close()
    }
  }

  async #keyed(keys: readonly DeviceKey[]): Promise<Entry[]> {
    const nats = [...new Set(keys.map(natKey))]
    return this.#withRowsInBatches(nats.map((nat) => ({ nat, cell: 0 })))
  }

  /** How many devices a selection holds, exactly, and how they divide by the fields asked for. */
  async tally(selection: DeviceSelection, by: readonly FacetField[]): Promise<Tally> {
    const counts = new Map<number, number>()
    const add = (cell: number, n: number) => counts.set(cell, (counts.get(cell) ?? 0) + n)
    if ('keys' in selection) {
      for (const e of await this.#keyed(selection.keys)) add(e.cell, 1)
    } else {
      const { query } = selection
      const filter = this.cells.matching(query.filters)
      const tm = this.#textMatch(query.text, filter)
      const driver = tm.terms.length === 0 || this.cells.count(filter) === 0 ? null : (await this.#driver(tm, filter)).driver
      if (tm.terms.length === 0) {
        for (const id of this.#cellIds(filter)) add(id, this.cells.get(id)!.count)
      } else if (driver && tm.terms.length === 1) {
        for (const cell of driver.nats.values()) add(cell, 1)
        for (const id of tm.termCells[0]!) add(id, this.cells.get(id)!.count)
      } else if (driver) {
        const candidates = [...driver.nats].map(([nat, cell]): Entry => ({ nat, cell }))
        appendAll(candidates, await this.#enumerate([...tm.termCells[driver.term]!]))
        for (let i = 0; i < candidates.length; i += ROW_BATCH * 4) {
          for (const e of await this.withRows(candidates.slice(i, i + ROW_BATCH * 4))) if (this.#rowMatches(e, tm, driver.term)) add(e.cell, 1)
        }
      } else if (this.cells.count(filter) > 0) {
        // Every term is common: the devices are walked as a page in natural order would walk them (the ranges of the IDs
        // a term begins, or every row of the filter's cells: seconds at a million devices).
        const plan = await this.#plan({ ...query, sort: 'typeId', descending: false }, Infinity)
        if (plan.kind === 'list') for (const e of plan.entries) add(e.cell, 1)
        else {
          const { stream } = plan.open(0)
          try {
            for (let batch = await stream.next(); batch.length > 0; batch = await stream.next()) for (const e of await plan.accept(batch)) add(e.cell, 1)
          } finally {
            await stream.close()
          }
        }
      }
      for (const e of await this.#keyed(selection.except)) if ((filter === null || filter.has(e.cell)) && this.#rowMatches(e, tm, -1)) add(e.cell, -1)
    }
    let total = 0
    for (const n of counts.values()) total += n
    const facets = by.map((field) => {
      const values = new Map<string, number>()
      for (const [id, n] of counts) {
        const cell = this.cells.get(id)
        if (!cell || n === 0) continue
        for (const v of facetValues(field, cell.fields)) values.set(v, (values.get(v) ?? 0) + n)
      }
      return {
        field,
        values: [...values]
          .filter(([, n]) => n > 0)
          .sort(([a, x], [b, y]) => y - x || compareKeys(a, b))
          .map(([value, count]) => ({ value, count })),
      }
    })
    return { total, facets }
  }
}
