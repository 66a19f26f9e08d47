/**
 * Ranges of the index store read in batches: the binding answers each trip to its thread with up to 1000 entries or
 * 512 KiB of rows, and the reader hands them on in batches of any size. Every entry comes once, in key order (or
 * reverse), across the binding's trips and the caller's batches, with its value or without. The same holds through
 * the public iterator, which serves when leveldown's private binding call is missing (an upgrade dropped it) or
 * answers in a shape not known (then from the first such answer on, mid-range), and when the next trip is read
 * ahead while the caller handles the last one.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { IndexDb, RangeOptions } from '../../src-main/core/store/index-db'
import { leveldownBinding } from '../../src-main/core/store/level-backend'

const COUNT = 2500
const key = (i: number) => `r!${String(i).padStart(5, '0')}`
/** Rows of 600 bytes: 512 KiB holds some 870 of them, fewer than the binding's 1000 per trip. */
const value = (i: number) => `${i}|`.padEnd(600, 'x')

type BindingNext = (context: unknown, callback: (error: Error | null, array?: unknown, finished?: unknown) => void) => void
const realNext = leveldownBinding.iterator_next as BindingNext

/** The binding each path reads through, counting the calls of its private `iterator_next`. */
const PATHS: [string, (calls: { count: number }) => Record<string, unknown>, number][] = [
  [
    "the binding's batches",
    (calls) => ({
      iterator_next: (context: unknown, callback: Parameters<BindingNext>[1]) => {
        calls.count++
        realNext(context, callback)
      },
    }),
    1,
  ],
  ['the public iterator, the binding call missing', () => ({}), 0],
  [
    'the public iterator, from a binding answer of an unknown shape on',
    (calls) => ({
      iterator_next: (context: unknown, callback: Parameters<BindingNext>[1]) => {
        // Every second trip of the process answers entries as objects, as a later binding might.
        if (calls.count++ % 2 === 1) return callback(null, [{ key: 'r!00000', value: 'x' }], false)
        realNext(context, callback)
      },
    }),
    2,
  ],
]

let db: IndexDb

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

describe.each(PATHS)('a range of the index store, read through %s', (_name, binding, minCalls) => {
  let dir: string
  const calls = { count: 0 }

  beforeAll(async () => {
    calls.count = 0
    vi.resetModules()
    vi.doMock('../../src-main/core/store/level-backend', async (original) => ({ ...(await original<object>()), leveldownBinding: binding(calls) }))
    const { openIndexDb } = await import('../../src-main/core/store/index-db')
    vi.doUnmock('../../src-main/core/store/level-backend')
    dir = await mkdtemp(join(tmpdir(), 'fieldline-index-range-'))
    db = (await openIndexDb(dir, { durable: false })).db
    const ops = Array.from({ length: COUNT }, (_, i) => ({ type: 'put' as const, key: key(i), value: value(i) }))
    await db.write([...ops, { type: 'put', key: 'a!before', value: '' }, { type: 'put', key: 's!after', value: '' }])
  })

  afterAll(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
    // The binding path read through the binding call; the unknown shape was met and read past.
    expect(calls.count).toBeGreaterThanOrEqual(minCalls)
  })

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

  it('reads the next trip ahead when told how many entries are wanted, giving the same entries', async () => {
    for (const sizes of [[7], [1000], [3, 1024, 999]]) {
      expect(await read({ gte: 'r!', lt: 'r!\uffff', expected: COUNT + 1 }, sizes)).toEqual(every.map((i) => [key(i), value(i)]))
      // Told fewer than there are: read ahead up to there, then trip by trip.
      expect(await read({ gte: 'r!', lt: 'r!\uffff', expected: 900 }, sizes)).toEqual(every.map((i) => [key(i), value(i)]))
    }
    expect(await read({ gte: 'r!', lt: 'r!\uffff', reverse: true, expected: COUNT }, [333])).toEqual([...every].reverse().map((i) => [key(i), value(i)]))
    expect((await read({ gt: key(10), lte: key(2400), values: false, expected: COUNT }, [128])).map(([k, v]) => `${k}=${v}`)).toEqual(every.slice(11, 2401).map((i) => `${key(i)}=`))
  })

  it('closes while a trip read ahead is under way, and reads on after that', async () => {
    for (let n = 0; n < 5; n++) {
      const range = db.range({ gte: 'r!', expected: COUNT })
      expect((await range.next(5)).map(([k]) => k)).toEqual(every.slice(0, 5).map(key))
      await range.close()
    }
    expect(await read({ gte: 'r!', lt: 'r!\uffff', expected: COUNT }, [1000])).toEqual(every.map((i) => [key(i), value(i)]))
  })

  it('stops where asked when closed early, and an empty range gives nothing', async () => {
    const range = db.range({ gte: 'r!' })
    expect((await range.next(5)).map(([k]) => k)).toEqual(every.slice(0, 5).map(key))
    await range.close()
    expect(await read({ gte: 'q!', lt: 'r!' }, [10])).toEqual([])
  })
})
