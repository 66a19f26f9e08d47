/**
 * A broad search's total is estimated from the rows the first page's walk met, and each sort meets other rows first: the
 * estimate ("about N") jumped when the operator changed the sort. The first estimate of a selection (its filters and
 * search) stands for every order until the index changes, and a total one order found exactly is then every order's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeviceQueries } from '../../src-main/core/devices/listing/query'
import { SelectionTotals } from '../../src-main/core/devices/listing/selection-totals'
import type { DeviceColumn, DeviceQuery } from '../../src-shared/models/device-query'
import { coreWithDevices, type testCore } from '../helpers/core'

const COUNT = 2000
/** Limits low enough that "north" (a thousand devices) drives nothing and is estimated, as a broad search is at a million. */
const TINY = { enumerate: 40, rows: 15, probe: 10, driver: 60, gather: 150 }
const ORDERS: { sort: DeviceColumn; descending: boolean }[] = [
  { sort: 'description', descending: false },
  { sort: 'description', descending: true },
  { sort: 'deviceId', descending: true },
  { sort: 'typeId', descending: false },
]

describe('the estimated total of a search, sorted one way then another', () => {
  let core: Awaited<ReturnType<typeof testCore>>
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    // The first half of the IDs is "north", the second "south": every order meets the matches at another density.
    ;({ core, cleanup } = await coreWithDevices([
      'typeId,deviceId,description',
      ...Array.from({ length: COUNT }, (_, i) => `${i % 2 ? 'pump' : 'meter'},dev-${String(i).padStart(4, '0')},Site ${i < COUNT / 2 ? 'north' : 'south'} ${i % 7}`),
    ]))
  }, 120_000)
  afterAll(() => cleanup())

  const query = (order: (typeof ORDERS)[number]): DeviceQuery => ({ text: 'north', filters: {}, ...order })

  it('says one estimate for every sort, where each sort sampled another', async () => {
    const index = core.deviceIndex
    const queries = new DeviceQueries(index.db, index.cells, TINY)
    const alone = await index.read(() => Promise.all(ORDERS.map((o) => queries.page(query(o), 0, 50))))
    // The cause: sampled in each order, the estimates differ (and none is exact).
    expect(alone.every((p) => !p.totalExact)).toBe(true)
    expect(new Set(alone.map((p) => p.total)).size).toBeGreaterThan(1)

    const totals = new SelectionTotals(() => index.seq)
    const pages = []
    for (const o of ORDERS) pages.push(await index.read(() => queries.page(query(o), 0, 50, totals)))
    expect(pages.map((p) => [p.total, p.totalExact])).toEqual(ORDERS.map(() => [alone[0]!.total, false]))
    // The same devices typed otherwise (another case, the terms in another order) are the same selection.
    const retyped = await index.read(() => queries.page({ ...query(ORDERS[2]!), text: 'NORTH' }, 0, 50, totals))
    expect(retyped).toMatchObject({ total: alone[0]!.total, totalExact: false })
  })

  it('says the exact total in every sort once one sort walked to the end, and forgets it when the devices change', async () => {
    const index = core.deviceIndex
    const queries = new DeviceQueries(index.db, index.cells, TINY)
    const totals = new SelectionTotals(() => index.seq)
    const whole = await index.read(() => queries.page(query(ORDERS[1]!), 0, COUNT, totals))
    expect(whole).toMatchObject({ total: COUNT / 2, totalExact: true })
    for (const o of ORDERS) expect(await index.read(() => queries.page(query(o), 0, 50, totals))).toMatchObject({ total: COUNT / 2, totalExact: true })

    await core.call('devices:add', { typeId: 'meter', deviceId: 'dev-new', description: 'Site north new' })
    await index.sync()
    const after = await index.read(() => queries.page(query(ORDERS[3]!), 0, 50, totals))
    expect(after.totalExact).toBe(false)
    expect(after.total).not.toBe(COUNT / 2)
  })
})
