import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import type { SavedSearch, SavedSearchInput, SimKey, SimQuery, SimRow, SimSelection, SyncEstimate, SyncProgress, SyncResult } from '../../../../src-shared/models/sim-inventory'
import { api, type Api } from '../api'
import { randomId } from '../random-id'
import { queryOfSimView, simViewFromSearch, type SimSort, type SimView } from '../sim-view'
import { EventStore, itemsOf } from './event-store.svelte'
import { ListExport, type ExportFormat } from './list-export.svelte'
import type { Page } from './paged-rows.svelte'
import { SelectableRows } from './selectable-rows.svelte'

/** A SIM as a selection names it; a carrier name holds no ":", so the key reads back unambiguously. */
export const simKeyOf = (sim: SimKey): string => `${sim.carrier}:${sim.simId}`

function simOf(key: string): SimKey {
  const at = key.indexOf(':')
  return { carrier: key.slice(0, at) as SimKey['carrier'], simId: key.slice(at + 1) }
}

function tooMany(count: number, max: number): Result<never> {
  return { ok: false, error: { code: 'VALIDATION', message: `${count} SIMs are selected; at most ${max} at once`, details: { ref: { key: 'sims.tooManySelected', params: { count, max } } } } }
}

/**
 * The SIM inventory as the SIMs page shows it: the core's answer to the view in the address (text, filters, sort), a
 * page at a time, for the virtual list; and the operator's selection in it. A finished sync or a changed device
 * (a SIM attached, devices imported) reads the rows again in place.
 */
export class SimList extends SelectableRows<SimRow, SimKey, SimQuery, SimSort> {
  constructor() {
    super(api, { refreshOn: [{ event: 'sims:progress', when: (p) => p.done }, { event: 'devices:changed' }], settleMs: 200, pageSize: 100, maxPages: 30 }, { keyOf: simKeyOf, itemOf: simOf })
  }

  get view(): SimView {
    return simViewFromSearch(this.query)
  }

  protected fetchPage(search: string, offset: number, limit: number): Promise<Result<Page<SimRow>>> {
    return api.invoke('sims:query', { query: queryOfSimView(simViewFromSearch(search)), offset, limit })
  }

  /** Another set of SIMs (not only another order) makes the selection meaningless: it is dropped. */
  override search(search: string): void {
    if (JSON.stringify(queryOfSimView(simViewFromSearch(search)).filters) !== JSON.stringify(queryOfSimView(this.view).filters)) this.clearSelection()
    super.search(search)
  }

  /**
   * What the operator selected, as the core's channels take it (`sims:export`; a bulk job from the SIMs page): every
   * SIM matching the view's query except some, or the SIMs picked in the view's order. Null when nothing is selected.
   */
  currentSelection(): SimSelection | null {
    return this.selection.toSelection(this.view)
  }

  /**
   * The SIMs selected, by id, for an action that names each one (import as devices): those picked, or those the
   * query matches but the exceptions, read from the core page by page. Refused beyond `max`.
   */
  async selectedSims(max: number): Promise<Result<SimKey[]>> {
    const chosen = this.currentSelection()
    if (!chosen) return { ok: true, value: [] }
    if ('keys' in chosen) return chosen.keys.length > max ? tooMany(chosen.keys.length, max) : { ok: true, value: chosen.keys }
    if (this.selection.count > max) return tooMany(this.selection.count, max)
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup for this call only, never shown
    const except = new Set(chosen.except.map(simKeyOf))
    const out: SimKey[] = []
    for (let offset = 0; ; offset += 1000) {
      const page = await api.invoke('sims:query', { query: chosen.query, offset, limit: 1000 })
      if (!page.ok) return page
      for (const row of page.value.items) if (!except.has(simKeyOf(row))) out.push({ carrier: row.carrier, simId: row.simId })
      if (out.length > max) return tooMany(out.length, max)
      if (page.value.items.length < 1000) return { ok: true, value: out }
    }
  }

  protected currentQuery(): SimQuery {
    return queryOfSimView(this.view)
  }

  protected async countMatching(query: SimQuery): Promise<Result<number>> {
    const counted = await api.invoke('sims:count', { filters: query.filters })
    return counted.ok ? { ok: true, value: counted.value.total } : counted
  }
}

/** An export of the SIM inventory: the selection with every inventory column. */
export class SimExport extends ListExport {
  run(selection: SimSelection, format: ExportFormat): Promise<Blob | null> {
    return this.stream(format, () => this.source.invoke('sims:export', { selection, format }))
  }
}

/** The inventory's saved searches, kept in the workspace (shared with the team and the CLI). */
export class SimSearches extends EventStore<SavedSearch[]> {
  constructor(private readonly source: Pick<Api, 'on' | 'onReconnect' | 'invoke'> = api) {
    super(source, { refreshOn: [], live: 'whileActive' })
  }

  get items(): SavedSearch[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<SavedSearch[]>> {
    return itemsOf(this.source.invoke('sims:searches', {}))
  }

  save(input: SavedSearchInput): Promise<Result<SavedSearch>> {
    return this.write(this.source.invoke('sims:saveSearch', input))
  }

  remove(id: string): Promise<Result<{ removed: true }>> {
    return this.write(this.source.invoke('sims:removeSearch', { id }))
  }
}

export interface AccountSyncState {
  estimate: SyncEstimate | null
  estimating: boolean
  /** Why the estimate could not be made (the account's credentials refused, the carrier unreachable). */
  estimateError: ErrorInfo | null
  running: boolean
  /** The id this window's run was started with, which Stop names (`reads:cancel`); null for a run started elsewhere. */
  readId: string | null
  /** Stop was asked: the core abandons the call under way and writes what was read. */
  stopping: boolean
  progress: SyncProgress | null
  result: SyncResult | null
  error: ErrorInfo | null
}

const IDLE: AccountSyncState = {
  estimate: null,
  estimating: false,
  estimateError: null,
  running: false,
  readId: null,
  stopping: false,
  progress: null,
  result: null,
  error: null,
}

/**
 * Sync per carrier account: first the estimate of a full refresh at the account's rate limit (shown before the
 * operator starts), then the run with its progress (`sims:progress`), then its outcome or why it failed.
 */
export class SimSync {
  accounts = $state.raw<Readonly<Record<string, AccountSyncState>>>({})
  /** The latest estimate asked per account: an answer to an older question (usage ticked, then unticked) is dropped. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never shown
  readonly #asked = new Map<string, number>()

  constructor(private readonly source: Pick<Api, 'on' | 'invoke'> = api) {
    source.on('sims:progress', (p) => {
      const now = this.of(p.account)
      // Progress of a run another window or the CLI started shows too; only "done" closes a run this window started.
      this.#set(p.account, { progress: p, running: now.running || !p.done })
    })
  }

  of(account: string): AccountSyncState {
    return this.accounts[account] ?? IDLE
  }

  async estimate(account: string, usage: boolean): Promise<void> {
    const asked = (this.#asked.get(account) ?? 0) + 1
    this.#asked.set(account, asked)
    this.#set(account, { estimating: true, estimateError: null })
    const result = await this.source.invoke('sims:estimate', { account, usage })
    if (this.#asked.get(account) !== asked) return
    this.#set(account, result.ok ? { estimating: false, estimate: result.value } : { estimating: false, estimate: null, estimateError: result.error })
  }

  async sync(account: string, options: { full: boolean; usage: boolean }): Promise<Result<SyncResult>> {
    const readId = randomId()
    this.#set(account, { running: true, readId, stopping: false, progress: null, result: null, error: null })
    const result = await this.source.invoke('sims:sync', { account, ...options, readId })
    const ended = { running: false, readId: null, stopping: false }
    this.#set(account, result.ok ? { ...ended, result: result.value } : { ...ended, error: result.error })
    return result
  }

  /**
   * Stops the account's run this window started: the sync's own answer then says `stopped`, with what it read (kept,
   * and the next sync goes on from there).
   */
  async stop(account: string): Promise<void> {
    const { readId, stopping } = this.of(account)
    if (readId === null || stopping) return
    this.#set(account, { stopping: true })
    await this.source.invoke('reads:cancel', { readId })
  }

  #set(account: string, change: Partial<AccountSyncState>): void {
    this.accounts = { ...this.accounts, [account]: { ...this.of(account), ...change } }
  }
}

export const sims = new SimList()
export const simSearches = new SimSearches()
export const simSync = new SimSync()
