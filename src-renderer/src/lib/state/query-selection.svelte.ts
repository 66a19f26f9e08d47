import { MAX_SELECTION_KEYS } from '../../../../src-shared/models/device-query'

/** Never changed: each change of the selection replaces the raw state with a fresh set. */
const NONE: ReadonlySet<string> = new Set()

type State<Q> = { mode: 'some'; keys: ReadonlySet<string> } | { mode: 'all'; query: Q; total: number; except: ReadonlySet<string> }

/** How a list names its items in a selection: a key that reads back into the item's identity unambiguously. */
export interface SelectionKeys<K> {
  keyOf(item: K): string
  itemOf(key: string): K
}

/** The selection in the core's terms: every item matching a query except some, or items picked one by one (in the view's order). */
export type QuerySelectionValue<Q, K, S> = { query: Q; except: K[] } | { keys: K[]; sort: S; descending: boolean }

/**
 * The operator's selection in a long list (devices, SIMs), in the core's own terms: items picked one by one, or every
 * item matching a query except some. "All 1,000,000 matching" is a query and a short list of exceptions, never a
 * million ids; the cap on picked or excepted items is the contract's.
 */
export class QuerySelection<Q, K, S> {
  #state = $state.raw<State<Q>>({ mode: 'some', keys: NONE })

  constructor(private readonly keys: SelectionKeys<K>) {}

  get all(): boolean {
    return this.#state.mode === 'all'
  }

  /** How many items are selected. */
  get count(): number {
    const s = this.#state
    return s.mode === 'some' ? s.keys.size : Math.max(0, s.total - s.except.size)
  }

  get empty(): boolean {
    return this.count === 0
  }

  has(item: K): boolean {
    const s = this.#state
    return s.mode === 'some' ? s.keys.has(this.keys.keyOf(item)) : !s.except.has(this.keys.keyOf(item))
  }

  /** Selects or unselects one item. Returns false when the contract's cap on named items is reached. */
  toggle(item: K): boolean {
    return this.set([item], !this.has(item))
  }

  /** Selects (or unselects) each of these items; what is already so stays. */
  set(items: readonly K[], selected: boolean): boolean {
    const s = this.#state
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a fresh copy replaces the raw state whole
    const named = new Set(s.mode === 'some' ? s.keys : s.except)
    // Picked items are named when selected; in "all matching", excepted items are named when unselected.
    const name = s.mode === 'some' ? selected : !selected
    for (const item of items) {
      const key = this.keys.keyOf(item)
      if (!name) named.delete(key)
      else if (named.size >= MAX_SELECTION_KEYS) return false
      else named.add(key)
    }
    this.#state = s.mode === 'some' ? { mode: 'some', keys: named } : { ...s, except: named }
    return true
  }

  /** Every item the query matches (`total`: the core's exact count of them). */
  selectAll(query: Q, total: number): void {
    this.#state = { mode: 'all', query, total, except: NONE }
  }

  clear(): void {
    this.#state = { mode: 'some', keys: NONE }
  }

  /** The selection as the core's channels take it (picked items in the list's order); null when nothing is selected. */
  toSelection(order: { sort: S; descending: boolean }): QuerySelectionValue<Q, K, S> | null {
    const s = this.#state
    if (this.empty) return null
    if (s.mode === 'all') return { query: s.query, except: [...s.except].map((k) => this.keys.itemOf(k)) }
    return { keys: [...s.keys].map((k) => this.keys.itemOf(k)), sort: order.sort, descending: order.descending }
  }
}
