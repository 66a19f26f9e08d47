import { compareKeys, type IndexDb, type RangeOptions } from '../../store/index-db'
import type { IndexedRow } from './device-row'

/** One device met on a walk through the index: its natural key, its cell, and its row once read (`json` until decoded). */
export interface Entry {
  nat: string
  cell: number
  /** Its searchable words, space-separated, once its row was read. */
  words?: string
  json?: string
  row?: IndexedRow
}

/** Devices in some order, a batch at a time; an empty batch at the end. */
export interface Stream {
  next(): Promise<Entry[]>
  close(): Promise<void>
}

/** Entries handed on per batch by a merge. */
const BATCH = 256
/** The most entries read per batch from disk: a walk of millions reads a few thousand batches. */
const MAX_READ = 1024

/**
 * A key range as a stream. Batches start at `first` entries and double: a merge of hundreds of cells reads a few
 * entries of each to find the first page, and a long walk soon reads in large batches.
 */
export function rangeStream(db: IndexDb, options: RangeOptions, parse: (key: string, value: string) => Entry | null, first = 128): Stream {
  const range = db.range(options)
  let done = false
  let size = first
  return {
    async next() {
      while (!done) {
        const batch = await range.next(size)
        size = Math.min(size * 2, MAX_READ)
        if (batch.length === 0) done = true
        const out: Entry[] = []
        for (const [key, value] of batch) {
          const e = parse(key, value)
          if (e) out.push(e)
        }
        if (out.length > 0) return out
      }
      return []
    },
    close: () => range.close(),
  }
}

/** Entries already in memory, in their order, as a stream. */
export function listStream(entries: readonly Entry[]): Stream {
  let at = 0
  return {
    next() {
      const out = entries.slice(at, at + BATCH)
      at += out.length
      return Promise.resolve(out)
    },
    close: () => Promise.resolve(),
  }
}

export const emptyStream: Stream = { next: () => Promise.resolve([]), close: () => Promise.resolve() }

/** A stream made only when it is first read (a group of cells the walk may never reach opens no iterator). */
export function lazyStream(make: () => Stream): Stream {
  let made: Stream | null = null
  return {
    next: () => (made ??= make()).next(),
    close: () => made?.close() ?? Promise.resolve(),
  }
}

/** The streams one after the other. */
export function concatStreams(streams: Stream[]): Stream {
  let at = 0
  return {
    async next() {
      while (at < streams.length) {
        const batch = await streams[at]!.next()
        if (batch.length > 0) return batch
        await streams[at]!.close()
        at++
      }
      return []
    },
    async close() {
      await Promise.all(streams.slice(at).map((s) => s.close()))
      at = streams.length
    },
  }
}

interface Head {
  stream: Stream
  batch: Entry[]
  at: number
}

/**
 * Streams that are each in natural order, merged into one in natural order (or each in reverse, merged in reverse):
 * the devices of several cells (one carrier's devices across types and statuses) as one list. A binary heap keeps it
 * cheap with hundreds of cells.
 */
export function mergeStreams(streams: Stream[], descending = false): Stream {
  if (streams.length === 1) return streams[0]!
  const heap: Head[] = []
  let started = false
  const dir = descending ? -1 : 1
  const less = (a: Head, b: Head) => dir * compareKeys(a.batch[a.at]!.nat, b.batch[b.at]!.nat) < 0
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
      if (m === i) return
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }
  const push = (head: Head) => {
    heap.push(head)
    up(heap.length - 1)
  }
  return {
    async next() {
      if (!started) {
        started = true
        const firsts = await Promise.all(streams.map(async (stream) => ({ stream, batch: await stream.next(), at: 0 })))
        for (const h of firsts) if (h.batch.length > 0) push(h)
      }
      const out: Entry[] = []
      while (heap.length > 0 && out.length < BATCH) {
        const top = heap[0]!
        if (top.at >= top.batch.length) {
          // What is ready goes on now: a page may need no more, and reading on would fetch a batch it never uses.
          if (out.length > 0) break
          top.batch = await top.stream.next()
          top.at = 0
          if (top.batch.length === 0) {
            const last = heap.pop()!
            if (heap.length > 0 && last !== top) {
              heap[0] = last
              down(0)
            }
          } else down(0)
          continue
        }
        out.push(top.batch[top.at]!)
        top.at++
        if (top.at < top.batch.length) down(0)
      }
      return out
    },
    async close() {
      await Promise.all(streams.map((s) => s.close()))
      heap.length = 0
    },
  }
}
