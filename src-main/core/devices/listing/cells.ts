import type { DeviceFilters, FacetField } from '../../../../src-shared/models/device-query'
import type { IndexDb, IndexOp } from '../../store/index-db'
import { cellKeyOf, type CellFields } from './device-row'
import { CELL_PREFIX, END } from './keys'
import { words } from './text'

export interface Cell {
  id: number
  fields: CellFields
  count: number
  /** Words a search term may begin to match every device of the cell: its type's words, its extensions' names. */
  words: string[]
}

/**
 * The devices counted by cell: each distinct combination of type, carrier, SIM status, rate plan, extensions, config
 * errors, DM support and weather cache state is one cell, with its number of devices, kept in step with every write. A fleet has hundreds
 * of cells, not millions, so they live in memory (and in the index, in the same batch as the devices they count), and
 * answer the total, every facet and the count of any field-only query by adding up cells.
 */
export class Cells {
  readonly #byId = new Map<number, Cell>()
  readonly #byKey = new Map<string, number>()
  readonly #dirty = new Set<number>()
  #next = 1

  static async load(db: IndexDb): Promise<Cells> {
    const cells = new Cells()
    const range = db.range({ gte: CELL_PREFIX, lt: `${CELL_PREFIX}${END}` })
    try {
      for (let batch = await range.next(1000); batch.length > 0; batch = await range.next(1000)) {
        for (const [key, value] of batch) {
          const id = Number(key.slice(CELL_PREFIX.length))
          const { fields, count } = JSON.parse(value) as { fields: CellFields; count: number }
          cells.#add(id, fields, count)
        }
      }
    } finally {
      await range.close()
    }
    return cells
  }

  #add(id: number, fields: CellFields, count: number): Cell {
    const cell: Cell = { id, fields, count, words: [...new Set([...words(fields.typeId), ...fields.extensions])] }
    this.#byId.set(id, cell)
    this.#byKey.set(cellKeyOf(fields), id)
    this.#next = Math.max(this.#next, id + 1)
    return cell
  }

  /** The cell of these fields, made when it is the first device with them. */
  idFor(fields: CellFields): number {
    const known = this.#byKey.get(cellKeyOf(fields))
    if (known !== undefined) return known
    const cell = this.#add(this.#next, fields, 0)
    this.#dirty.add(cell.id)
    return cell.id
  }

  adjust(id: number, delta: number): void {
    const cell = this.#byId.get(id)
    if (!cell) throw new Error(`unknown cell ${id}`)
    cell.count += delta
    this.#dirty.add(id)
  }

  get(id: number): Cell | undefined {
    return this.#byId.get(id)
  }

  all(): Cell[] {
    return [...this.#byId.values()]
  }

  get total(): number {
    let n = 0
    for (const c of this.#byId.values()) n += c.count
    return n
  }

  /** The writes that save every cell changed since the last call (in the batch that changed them). */
  takeWrites(): IndexOp[] {
    const ops: IndexOp[] = [...this.#dirty].map((id) => {
      const c = this.#byId.get(id)!
      return { type: 'put', key: `${CELL_PREFIX}${id}`, value: JSON.stringify({ fields: c.fields, count: c.count }) }
    })
    this.#dirty.clear()
    return ops
  }

  /** The cells a filter admits, or null when it admits every cell (no field filter). */
  matching(filters: DeviceFilters): Set<number> | null {
    const tests = filterTests(filters)
    if (tests.length === 0) return null
    const out = new Set<number>()
    for (const cell of this.#byId.values()) if (tests.every((t) => t(cell.fields))) out.add(cell.id)
    return out
  }

  /** How many devices the cells hold (all of them for null). */
  count(ids: Iterable<number> | null): number {
    if (ids === null) return this.total
    let n = 0
    for (const id of ids) n += this.#byId.get(id)?.count ?? 0
    return n
  }
}

type CellTest = (c: CellFields) => boolean

function filterTests(f: DeviceFilters): CellTest[] {
  const tests: CellTest[] = []
  if (f.typeId) {
    const types = new Set(f.typeId)
    tests.push((c) => types.has(c.typeId))
  }
  if (f.carrier) {
    const carriers = new Set<string>(f.carrier)
    tests.push((c) => carriers.has(c.carrier ?? 'none'))
  }
  if (f.simStatus) {
    const statuses = new Set<string>(f.simStatus)
    tests.push((c) => statuses.has(c.simStatus ?? 'none'))
  }
  if (f.extension) {
    const names = new Set(f.extension)
    tests.push((c) => (c.extensions.length === 0 ? names.has('none') : c.extensions.some((e) => names.has(e))))
  }
  if (f.configErrors !== undefined) tests.push((c) => c.configErrors === f.configErrors)
  if (f.dmSupport !== undefined) tests.push((c) => c.dmSupport === f.dmSupport)
  if (f.weather) {
    const states = new Set<string>(f.weather)
    tests.push((c) => states.has(c.weatherStatus ?? 'none'))
  }
  return tests
}

/** The facet values a cell counts under (extensions: each of them, or "none"). */
export function facetValues(field: FacetField, c: CellFields): string[] {
  switch (field) {
    case 'typeId':
      return [c.typeId]
    case 'carrier':
      return [c.carrier ?? 'none']
    case 'simStatus':
      return [c.simStatus ?? 'none']
    case 'extension':
      return c.extensions.length ? c.extensions : ['none']
    case 'configErrors':
      return [String(c.configErrors)]
    case 'dmSupport':
      return [String(c.dmSupport)]
    case 'weather':
      return [c.weatherStatus ?? 'none']
  }
}
