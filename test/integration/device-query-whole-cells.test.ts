/**
 * A search whose words include a type, a carrier or an extension reaches whole cells of the index: at a million devices
 * one carrier is 250,000 of them. Such a search is counted, paged and walked like any other (cold trial: `devices
 * count --query "orange site 5"` at a million devices ended in "Unexpected failure in devices:count", the stack
 * overflowing while the cells' devices were gathered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeviceQueries } from '../../src-main/core/devices/listing/query'
import type { DeviceQuery } from '../../src-shared/models/device-query'
import { coreWithDevices, type testCore } from '../helpers/core'

/** More devices than one call's arguments can hold on the stack. */
const COUNT = 150_000

describe('a search naming a type that most devices hold', () => {
  let core: Awaited<ReturnType<typeof testCore>>
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    ;({ core, cleanup } = await coreWithDevices(['typeId,deviceId,description', ...Array.from({ length: COUNT }, (_, i) => `meter,m-${i},Site ${i % 500}`)]))
  }, 300_000)
  afterAll(() => cleanup())

  it('counts, pages and walks it', async () => {
    const query: DeviceQuery = { text: 'meter site 7', filters: {}, sort: 'typeId', descending: false }
    // Every device is a meter at a site: the matches are those whose ID's number or site's begins with 7.
    const matches = Array.from({ length: COUNT }, (_, i) => i).filter((i) => String(i).startsWith('7') || String(i % 500).startsWith('7'))
    const expected = matches.length
    const selection = { query, except: [] }
    expect(await core.call('devices:count', { selection, by: ['typeId'] })).toEqual({ total: expected, facets: [{ field: 'typeId', values: [{ value: 'meter', count: expected }] }] })
    const page = await core.call('devices:query', { query, offset: 0, limit: 5, metadataFields: [] })
    expect(page.items.map((d) => d.deviceId)).toEqual(matches.slice(0, 5).map((i) => `m-${i}`))
    const queries = new DeviceQueries(core.deviceIndex.db, core.deviceIndex.cells)
    let walked = 0
    await core.deviceIndex.read(async () => {
      for await (const batch of queries.rows(selection)) walked += batch.length
    })
    expect(walked).toBe(expected)
  }, 120_000)
})
