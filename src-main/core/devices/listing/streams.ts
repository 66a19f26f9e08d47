import { compareKeys, type IndexDb, type RangeOptions } from '../../store/index-db'
import type { IndexedRow } from './device-row'

/** One device met on a walk through the index: its natural key, its cell, and its row once read (`json` until decoded). */
export interface Entry {
  nat: string
  cell: number
  json?: string
  row?: IndexedRow
}

/** Devices in some order, a batch at a time; an empty batch at the end. */
export interface Stream {
  next(): Promise<Entry[]>
  close(): Promise<void>
}

/** Entries read per batch: a page of 100 is usually one or two batches, a walk of millions a few thousand. */
const BATCH = 256

export function rangeStream(db: IndexDb, options: RangeOptions, parse: (key: string, value: string) => Entry | null): Stream {
  const range = db.range(options)
  let done = false
  return {
    async next() {
      while (!done) {
        const batch = await range.next(BATCH)
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

export const emptyStream: Stream = { next: () => Promise.resolve([]), close: () => Promise.resolve() }

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
 * Streams that are each in natural order, merged into one in natural order (ascending): the devices of several cells
 * (one carrier's devices across types and statuses) as one list. A binary heap keeps it cheap with hundreds of cells.
 */
export function mergeStreams(streams: Stream[]): Stream {
  if (streams.length === 1) return streams[0]!
  const heap: Head[] = []
  let started = false
  const less = (a: Head, b: Head) => compareKeys(a.batch[a.at]!.nat, b.batch[b.at]!.nat) < 0
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
        out.push(top.batch[top.at]!)
        top.at++
        if (top.at >= top.batch.length) {
          top.batch = await top.stream.next()
          top.at = 0
          if (top.batch.length === 0) {
            const last = heap.pop()!
            if (heap.length > 0 && last !== top) {
              heap[0] = last
              down(0)
            }
            continue
          }
        }
        down(0)
      }
      return out
    },
    async close() {
      await Promise.all(streams.map((s) => s.close()))
      heap.length = 0
    },
  }
}
