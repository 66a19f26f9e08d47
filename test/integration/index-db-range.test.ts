/**
 * Ranges of the index store read in batches: the binding answers each trip to its thread with up to 1000 entries or
 * 512 KiB of rows, and the reader hands them on in batches of any size. Every entry comes once, in key order (or
 * reverse), across the binding's trips and the caller's batches, with its value or without.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openIndexDb, type IndexDb, type RangeOptions } from '../../src-main/core/store/index-db'

const COUNT = 2500
const key = (i: number) => `r!${String(i).padStart(5, '0')}`
/** Rows of 600 bytes: 512 KiB holds some 870 of them, fewer than the binding's 1000 per trip. */
const value = (i: number) => `${i}|`.padEnd(600, 'x')

let dir: string
let db: IndexDb

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldline-index-range-'))
  db = (await openIndexDb(dir, { durable: false })).db
  const ops = Array.from({ length: COUNT }, (_, i) => ({ type: 'put' as const, key: key(i), value: value(i) }))
  await db.write([...ops, { type: 'put', key: 'a!before', value: '' }, { type: 'put', key: 's!after', value: '' }])
})

afterAll(async () => {
  await db.close()
  await rm(dir, { recursive: true, force: true })
})

async function read(options: RangeOptions, sizes: number[]): Promise<[string, string][]> {
  const range = db.range(options)
  const out: [string, string][] = []
  try {
    for (let n = 0; ; n++) {
      const batch = await range.next(sizes[n % sizes.length]!)
      if (batch.length === 0) return out
      expect(batch.length).toBeLessThanOrEqual(sizes[n % sizes.length]!)
      out.push(...batch)
    }
  } finally {
    await range.close()
  }
}

describe('a range of the index store', () => {
  const every = Array.from({ length: COUNT }, (_, i) => i)

  it('gives every entry once, in key order, whatever the batch sizes asked for', async () => {
    for (const sizes of [[7], [1000], [5000], [3, 1024, 999]]) {
      expect(await read({ gte: 'r!', lt: 'r!\uffff' }, sizes)).toEqual(every.map((i) => [key(i), value(i)]))
    }
  })

  it('reads backwards, and keys alone', async () => {
    expect(await read({ gte: 'r!', lt: 'r!\uffff', reverse: true }, [333])).toEqual([...every].reverse().map((i) => [key(i), value(i)]))
    expect((await read({ gt: key(10), lte: key(2400), values: false }, [128])).map(([k, v]) => `${k}=${v}`)).toEqual(every.slice(11, 2401).map((i) => `${key(i)}=`))
  })

  it('stops where asked when closed early, and an empty range gives nothing', async () => {
    const range = db.range({ gte: 'r!' })
    expect((await range.next(5)).map(([k]) => k)).toEqual(every.slice(0, 5).map(key))
    await range.close()
    expect(await read({ gte: 'q!', lt: 'r!' }, [10])).toEqual([])
  })
})
