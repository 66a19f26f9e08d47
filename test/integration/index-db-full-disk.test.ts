/**
 * The index store on a disk that fills up, for real (a small tmpfs): a write the disk refuses is kept in memory and
 * every read sees it, merged in key order with what the disk holds (deletions hide entries); nothing is lost or
 * duplicated. Mounting needs root: where it is refused the suite says so and skips (fails under FIELDLINE_STRICT=1).
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openIndexDb, type IndexDb, type RangeOptions } from '../../src-main/core/store/index-db'
import { fillDisk, mountSkipReason, smallDisk } from '../helpers/mounts'

const skip = await mountSkipReason()

async function all(db: IndexDb, options: RangeOptions): Promise<string[]> {
  const range = db.range(options)
  const out: string[] = []
  try {
    // Small batches: the merge of memory and disk must hold across batch boundaries.
    for (let batch = await range.next(3); batch.length > 0; batch = await range.next(3)) out.push(...batch.map(([k, v]) => `${k}=${v}`))
  } finally {
    await range.close()
  }
  return out
}

describe.skipIf(skip !== null)('the index store on a full disk', () => {
  let closeDisk: (() => Promise<void>) | undefined
  afterEach(async () => closeDisk?.())

  it('keeps refused writes in memory, reads them back merged in key order, and loses none of them', async () => {
    const disk = await smallDisk('4m')
    closeDisk = disk.close
    const { db } = await openIndexDb(join(disk.dir, 'index'), { durable: true })
    /** What every read must show: the disk's entries and the refused ones, newest value per key. */
    const expected = new Map<string, string>()
    const sorted = () => [...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`)
    try {
      const filler = 'x'.repeat(2000)
      for (let i = 0; i < 40; i += 2) {
        expect(await db.write([{ type: 'put', key: `k!${String(i).padStart(4, '0')}`, value: filler }])).toEqual({ saved: true })
        expected.set(`k!${String(i).padStart(4, '0')}`, filler)
      }
      await fillDisk(disk.dir)
      // Writes go on until the disk refuses one (the first few may still fit in pages LevelDB's log holds already).
      let refused = false
      for (let i = 1; !refused && i < 4000; i += 2) {
        const key = `k!${String(i).padStart(4, '0')}`
        const outcome = await db.write([{ type: 'put', key, value: filler }])
        refused = !outcome.saved
        expected.set(key, filler)
      }
      expect(refused).toBe(true)
      // More refused writes: a replacement of an entry on disk, a deletion of one, a key past the end.
      expect(
        (
          await db.write([
            { type: 'put', key: 'k!0004', value: 'mem' },
            { type: 'del', key: 'k!0008' },
            { type: 'put', key: 'k!9999', value: 'mem' },
          ])
        ).saved,
      ).toBe(false)
      expected.set('k!0004', 'mem')
      expected.delete('k!0008')
      expected.set('k!9999', 'mem')
      expect(db.unsaved).toBeGreaterThanOrEqual(4)

      expect(await db.get('k!0004')).toBe('mem')
      expect(await db.get('k!0008')).toBeUndefined()
      expect(await db.getMany(['k!0000', 'k!0004', 'k!0008', 'k!9999', 'k!5000'])).toEqual([filler, 'mem', undefined, 'mem', undefined])
      expect(await all(db, { gte: 'k!', lt: 'k!~' })).toEqual(sorted())
      expect(await all(db, { gte: 'k!', lt: 'k!~', reverse: true })).toEqual(sorted().reverse())
      expect(await all(db, { gt: 'k!0003', lte: 'k!0010' })).toEqual(sorted().filter((e) => e > 'k!0003' && e.slice(0, 6) <= 'k!0010'))

      // Room again: the next write the disk takes saves the refused ones with it (or, where LevelDB refuses until it
      // is reopened after a failed sync, they stay in memory and reads still see them).
      await rm(join(disk.dir, 'filler'))
      const next = await db.write([{ type: 'put', key: 'k!0005', value: 'later' }])
      expected.set('k!0005', 'later')
      expect(await all(db, { gte: 'k!', lt: 'k!~' })).toEqual(sorted())
      if (next.saved) expect(db.unsaved).toBe(0)
    } finally {
      await db.close()
    }
  })
})
