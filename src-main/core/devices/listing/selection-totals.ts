/**
 * The totals of selections (a search and its filters, whatever the order) as pages first found them, kept while the
 * index stays as it was. A broad search's total is estimated from the rows a page's walk met, and each order meets
 * other rows first: changing the sort made "about N" jump for the same devices (cold trial). An order that walked a
 * selection to its end knows its total exactly, and then every order says it.
 */
export interface KnownTotal {
  total: number
  exact: boolean
}

/** Selections remembered at most: the searches an operator types between two changes to the workspace. */
const KEPT = 200

export class SelectionTotals {
  readonly #totals = new Map<string, KnownTotal>()
  #version: number | null = null

  /** `version`: what the index has applied (its workspace sequence); another version forgets every total. */
  constructor(private readonly version: () => number) {}

  get(selection: string): KnownTotal | undefined {
    this.#current()
    return this.#totals.get(selection)
  }

  /** Keeps a selection's total: an estimate only where none is known, an exact one always. */
  set(selection: string, known: KnownTotal): void {
    this.#current()
    if (!known.exact && this.#totals.has(selection)) return
    this.#totals.delete(selection)
    this.#totals.set(selection, known)
    if (this.#totals.size > KEPT) this.#totals.delete(this.#totals.keys().next().value!)
  }

  #current(): void {
    const version = this.version()
    if (version === this.#version) return
    this.#version = version
    this.#totals.clear()
  }
}
