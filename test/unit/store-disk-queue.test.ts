/**
 * The generic on-disk queue (src-main/core/store/disk-queue.ts) with a codec of its own: items of any shape, one line
 * each; a torn last line cut at open; an unreadable line skipped and counted; items taken one by one and confirmed or
 * handed back out of order; the owner's lock error. (The historian's use of it: historian-disk-queue.test.ts.)
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DiskQueue, inspectQueue, type LineCodec } from '../../src-main/core/store/disk-queue'

interface Reading {
  n: number
  at: number
}

const codec: LineCodec<Reading> = {
  encode: (r) => Buffer.from(`${r.n} ${r.at}\n`),
  decode(line) {
    const m = /^(\d+) (\d+)$/.exec(line)
    return m ? { n: Number(m[1]), at: Number(m[2]) } : null
  },
  receivedAt: (r) => r.at,
}

const lockedError = (pid: number): Error => new Error(`held by ${pid}`)
const dirs: string[] = []
const queues: DiskQueue<Reading>[] = []
afterEach(() => {
  for (const q of queues.splice(0)) q.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function open(dir: string, capacity = 100): DiskQueue<Reading> {
  const q = DiskQueue.open({ dir, codec, locked: lockedError, capacity })
  queues.push(q)
  return q
}

function closeAll(): void {
  for (const q of queues.splice(0)) q.close()
}

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fieldline-store-dq-'))
  dirs.push(d)
  return d
}

const segment = (dir: string): string => join(dir, readdirSync(dir).find((f) => f.endsWith('.seg')) as string)
const ns = (items: readonly Reading[]): number[] => items.map((r) => r.n)

describe('DiskQueue with a codec', () => {
  it('writes each item with the codec and reads it back after a reopen', () => {
    const dir = newDir()
    const q = open(dir)
    for (let n = 0; n < 3; n++) q.push({ n, at: 1000 + n })
    expect(readFileSync(segment(dir), 'utf8')).toBe('0 1000\n1 1001\n2 1002\n')
    closeAll()
    const again = open(dir)
    expect(again.size).toBe(3)
    expect(again.oldestReceivedAt()).toBe(1000)
    expect(ns(again.take(10)?.items ?? [])).toEqual([0, 1, 2])
  })

  it('cuts a torn last line off at open, and skips and counts a line the codec cannot read', () => {
    const dir = newDir()
    const q = open(dir)
    q.push({ n: 0, at: 1 })
    closeAll()
    appendFileSync(segment(dir), 'not a reading\n')
    appendFileSync(segment(dir), '1 2\n')
    appendFileSync(segment(dir), '2 3')
    expect(inspectQueue(dir, codec)).toMatchObject({ queued: 3, oldestReceivedAt: 1 })
    const again = open(dir)
    expect(readFileSync(segment(dir), 'utf8')).toBe('0 1\nnot a reading\n1 2\n')
    again.push({ n: 3, at: 4 })
    expect(ns(again.take(10)?.items ?? [])).toEqual([0, 1, 3])
    expect(again.corrupt).toBe(1)
  })

  it('reads past a chunk holding only unreadable lines without skipping the item after it', () => {
    const dir = newDir()
    open(dir)
    closeAll()
    appendFileSync(segment(dir), '0 1\nxxxxxx\n1 2\n2 3\n')
    // Eight bytes at a time: the second chunk holds the unreadable line alone.
    const q = DiskQueue.open({ dir, codec, locked: lockedError, capacity: 100, readChunkBytes: 8 })
    queues.push(q)
    expect(ns(q.take(10)?.items ?? [])).toEqual([0, 1, 2])
    expect(q.corrupt).toBe(1)
    // Dropping the oldest and the oldest's time read past such a chunk alike.
    closeAll()
    const full = DiskQueue.open({ dir, codec, locked: lockedError, capacity: 3, readChunkBytes: 8 })
    queues.push(full)
    full.push({ n: 3, at: 4 })
    full.push({ n: 4, at: 5 })
    expect(full.dropped).toBe(2)
    expect(full.oldestReceivedAt()).toBe(3)
    expect(ns(full.take(10)?.items ?? [])).toEqual([2, 3, 4])
  })

  it('refuses a line that is not exactly one line', () => {
    const q = open(newDir())
    expect(() => q.append(Buffer.from('1 1'))).toThrow(/newline/)
    expect(() => q.append(Buffer.from('1 1\n2 2\n'))).toThrow(/newline/)
    expect(q.size).toBe(0)
  })

  it('appends a batch of lines with one write; a batch holding a line that is not one is refused whole', () => {
    const dir = newDir()
    const q = open(dir, 4)
    q.push({ n: 0, at: 0 })
    const items = [1, 2, 3].map((n) => ({ n, at: n }))
    expect(() => q.appendLines([codec.encode(items[0]!), Buffer.from('9 9'), codec.encode(items[2]!)], items)).toThrow(/newline/)
    expect(q.size).toBe(1)
    expect(readFileSync(segment(dir), 'utf8')).toBe('0 0\n')
    // Kept in memory as they are written (nothing waits on disk before them), and the oldest dropped past the capacity.
    q.appendLines(
      [1, 2, 3, 4].map((n) => codec.encode({ n, at: n })),
      [1, 2, 3, 4].map((n) => ({ n, at: n })),
    )
    expect(q.size).toBe(4)
    expect(q.dropped).toBe(1)
    expect(ns(q.take(10)?.items ?? [])).toEqual([1, 2, 3, 4])
    closeAll()
    expect(readFileSync(segment(dir), 'utf8')).toBe('0 0\n1 1\n2 2\n3 3\n4 4\n')
    expect(ns(open(dir).take(10)?.items ?? [])).toEqual([1, 2, 3, 4])
  })

  it('hands items out one by one; confirmed out of order they leave, handed back they come first again', () => {
    const dir = newDir()
    const q = open(dir)
    for (let n = 0; n < 6; n++) q.push({ n, at: n })
    const [a, b, c] = q.takeEach(3)
    expect(ns(q.takeEach(2).flatMap((t) => t.items))).toEqual([3, 4])
    q.commit(b!)
    q.release(a!)
    q.release(c!)
    expect(ns(q.takeEach(10).flatMap((t) => t.items))).toEqual([0, 2, 5])
    expect(q.size).toBe(5)
    closeAll()
    // The cursor is one position, the first item not confirmed (0): 1, confirmed after it, comes again (at least once).
    expect(ns(open(dir).take(10)?.items ?? [])).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('throws the owner’s error for a directory another queue holds', () => {
    const dir = newDir()
    open(dir)
    expect(() => DiskQueue.open({ dir, codec, locked: lockedError, capacity: 10 })).toThrow(`held by ${process.pid}`)
  })
})
