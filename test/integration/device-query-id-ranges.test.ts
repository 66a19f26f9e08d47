/**
 * A search typed from a device ID whose matches lie far into the natural order, when no term is selective enough to
 * drive it: the first page reads the ranges of the order that hold those IDs (and the term's few other postings), not
 * every row before them, and every answer (pages both ways, the count, the full walk) is what reading everything gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeviceQueries } from '../../src-main/core/devices/listing/query'
import type { IndexDb, RangeOptions } from '../../src-main/core/store/index-db'
import type { DeviceQuery } from '../../src-shared/models/device-query'
import { coreWithDevices, type testCore } from '../helpers/core'

const COUNT = 4000
const TYPES = ['meter', 'pump']
const id = (i: number) => `dev-${String(i).padStart(4, '0')}`
/** The limits of the reference test: a term with more than 60 postings drives nothing at this size. */
const TINY = { enumerate: 40, rows: 15, probe: 10, driver: 60, gather: 150 }

/** The index, counting the entries every read hands back. */
function counting(db: IndexDb): { db: IndexDb; read: () => number } {
  let read = 0
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'range')
        return (options: RangeOptions) => {
          const range = target.range(options)
          return {
            next: async (max: number) => {
              const batch = await range.next(max)
              read += batch.length
              return batch
            },
            close: () => range.close(),
          }
        }
      if (prop === 'getMany')
        return (keys: readonly string[]) => {
          read += keys.length
          return target.getMany(keys)
        }
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  return { db: proxy, read: () => read }
}

describe('a search typed from an ID', () => {
  let core: Awaited<ReturnType<typeof testCore>>
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    // One device's description also begins with the term: it is found by that word, once, in its place.
    ;({ core, cleanup } = await coreWithDevices([
      'typeId,deviceId,description',
      ...Array.from({ length: COUNT }, (_, i) => `${TYPES[i % 2]},${id(i)},${i === 17 ? 'Moved from dev-3999' : `Site ${i % 13}${i >= 3000 ? ' late' : ''}`}`),
    ]))
  }, 120_000)
  afterAll(() => cleanup())

  it('reads where its matches lie, and answers as reading everything does', async () => {
    const index = core.deviceIndex
    const reference = (q: DeviceQuery) => {
      const all = Array.from({ length: COUNT }, (_, i) => i).filter((i) => id(i).startsWith(q.text) || i === 17)
      const ordered = TYPES.flatMap((t) => all.filter((i) => TYPES[i % 2] === t)).map((i) => `${TYPES[i % 2]}/${id(i)}`)
      return q.descending ? ordered.reverse() : ordered
    }
    for (const descending of [false, true]) {
      const query: DeviceQuery = { text: 'dev-3', filters: {}, sort: 'typeId', descending }
      const expected = reference(query)
      const { db, read } = counting(index.db)
      const queries = new DeviceQueries(db, index.cells, TINY)
      const page = await index.read(() => queries.page(query, 0, 50))
      expect(page.rows.map((r) => `${r.row.typeId}/${r.row.deviceId}`)).toEqual(expected.slice(0, 50))
      // The term's postings probed, the ranges holding the page: far from the 1,500 rows of meters before dev-3000.
      expect(read()).toBeLessThan(400)
      expect(page.total).toBeGreaterThanOrEqual(50)

      const walked: string[] = []
      await index.read(async () => {
        for await (const batch of queries.rows({ query, except: [] })) walked.push(...batch.map((r) => `${r.row.typeId}/${r.row.deviceId}`))
      })
      expect(walked).toEqual(expected)
      const deep = await index.read(() => queries.page(query, 990, 50))
      expect(deep.rows.map((r) => `${r.row.typeId}/${r.row.deviceId}`)).toEqual(expected.slice(990, 1040))
      expect((await index.read(() => queries.tally({ query, except: [] }, []))).total).toBe(expected.length)
    }
  })

  it('gathers a lone common word from its postings when its matches lie far into the order, keeping only the page', async () => {
    const index = core.deviceIndex
    const late = Array.from({ length: COUNT - 3000 }, (_, k) => 3000 + k)
    for (const descending of [false, true]) {
      const expected = TYPES.flatMap((t) => late.filter((i) => TYPES[i % 2] === t)).map((i) => `${TYPES[i % 2]}/${id(i)}`)
      if (descending) expected.reverse()
      const { db, read } = counting(index.db)
      const queries = new DeviceQueries(db, index.cells, { ...TINY, gather: 2000 })
      const page = await index.read(() => queries.page({ text: 'late', filters: {}, sort: 'typeId', descending }, 0, 50))
      expect(page.rows.map((r) => `${r.row.typeId}/${r.row.deviceId}`)).toEqual(expected.slice(0, 50))
      expect(page).toMatchObject({ total: 1000, totalExact: true })
      // Its 1,000 postings and the page's rows, not the 1,500 rows of meters before dev-3000.
      expect(read()).toBeLessThan(1200)
    }
  })

  it('walks a lone word that most devices hold instead of gathering all its postings for one page', async () => {
    const index = core.deviceIndex
    const expected = TYPES.flatMap((t) => Array.from({ length: COUNT }, (_, i) => i).filter((i) => TYPES[i % 2] === t && i !== 17)).map((i) => `${TYPES[i % 2]}/${id(i)}`)
    const { db, read } = counting(index.db)
    // A limit that would let the whole word be gathered: every device but one holds 'site'.
    const queries = new DeviceQueries(db, index.cells, { ...TINY, gather: 5000 })
    const page = await index.read(() => queries.page({ text: 'site', filters: {}, sort: 'typeId', descending: false }, 0, 50))
    expect(page.rows.map((r) => `${r.row.typeId}/${r.row.deviceId}`)).toEqual(expected.slice(0, 50))
    // The first rows of the order hold it: the walk's read-ahead (about 1,400 entries), not its 3,999 postings and
    // their rows (4,121 before).
    expect(read()).toBeLessThan(2000)
  })
})
