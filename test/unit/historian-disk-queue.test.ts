/**
 * The on-disk queue: order, confirmation, give-back, drop-oldest with a count, restart from the cursor, a torn last
 * line, an unreadable line, the lock, segment removal, and inspection from another process's point of view.
 */
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DiskQueue, inspectQueue } from '../../src-main/core/historian/disk-queue'
import { encodeEvent, type HistorianEvent } from '../../src-main/core/historian/event'
import { tempDir } from '../helpers/core'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function dir(): Promise<string> {
  const t = await tempDir('fieldline-queue-')
  cleanups.push(t.cleanup)
  return t.dir
}

function open(path: string, capacity = 1000, extra: { segmentBytes?: number } = {}): DiskQueue {
  const q = DiskQueue.open({ dir: path, capacity, ...extra })
  cleanups.push(() => q.close())
  return q
}

function event(n: number, receivedAt = 1_700_000_000_000 + n): HistorianEvent {
  return { id: `org:t:d:${n}`, org: 'org', type: 't', device: 'd', event: 'e', format: 'json', receivedAt, payload: Buffer.from(JSON.stringify({ n })) }
}

const ns = (events: readonly HistorianEvent[]): number[] => events.map((e) => (JSON.parse(e.payload.toString()) as { n: number }).n)

describe('DiskQueue', () => {
  it('hands events out in order, forgets them once committed, and hands back released ones first', async () => {
    const q = open(await dir())
    for (let n = 0; n < 10; n++) q.append(encodeEvent(event(n)))
    expect(q.size).toBe(10)
    const a = q.take(4)!
    const b = q.take(3)!
    expect(ns(a.events)).toEqual([0, 1, 2, 3])
    expect(ns(b.events)).toEqual([4, 5, 6])
    q.release(a)
    expect(ns(q.take(5)!.events)).toEqual([0, 1, 2, 3, 7])
    q.commit(b)
    expect(q.size).toBe(10 - 3)
    expect(q.oldestReceivedAt()).toBe(event(0).receivedAt)
  })

  it('keeps appended events in memory up to a bound while nothing waits on disk, and reads the rest back in order', async () => {
    const path = await dir()
    const q = DiskQueue.open({ dir: path, capacity: 1000, memoryEvents: 3, segmentBytes: 300 })
    for (let n = 0; n < 10; n++) q.append(encodeEvent(event(n)), event(n))
    expect(ns(q.take(4)!.events)).toEqual([0, 1, 2, 3])
    const rest = q.take(100)!
    expect(ns(rest.events)).toEqual([4, 5, 6, 7, 8, 9])
    q.commit(rest)
    // Caught up again (the first four still being sent): new events are kept in memory once more.
    for (let n = 10; n < 12; n++) q.append(encodeEvent(event(n)), event(n))
    expect(ns(q.take(10)!.events)).toEqual([10, 11])
    q.close()
    // The cursor stops at the first event not confirmed (0): what follows comes again, confirmed or not (ids recognise it).
    const again = open(path)
    expect(ns(again.take(100)!.events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  it('keeps what was not committed across a reopen, and nothing that was', async () => {
    const path = await dir()
    const q = DiskQueue.open({ dir: path, capacity: 1000 })
    for (let n = 0; n < 6; n++) q.append(encodeEvent(event(n)))
    q.commit(q.take(2)!)
    q.take(2)
    q.close()
    const again = open(path)
    expect(again.size).toBe(4)
    expect(ns(again.take(10)!.events)).toEqual([2, 3, 4, 5])
  })

  it('when full, drops the oldest event not being sent and counts it, also across a reopen', async () => {
    const path = await dir()
    const q = DiskQueue.open({ dir: path, capacity: 5 })
    for (let n = 0; n < 3; n++) q.append(encodeEvent(event(n)))
    const sending = q.take(1)!
    for (let n = 3; n < 9; n++) q.append(encodeEvent(event(n)))
    expect(q.size).toBe(5)
    expect(q.dropped).toBe(4)
    // Event 0 was being sent: it is not dropped; 1–4 were the oldest of the rest.
    expect(ns(q.take(10)!.events)).toEqual([5, 6, 7, 8])
    q.commit(sending)
    q.close()
    const again = open(path, 5)
    expect(again.dropped).toBe(4)
    expect(ns(again.take(10)!.events)).toEqual([5, 6, 7, 8])
  })

  it('cuts a torn last line (a write the crash interrupted) and skips an unreadable one', async () => {
    const path = await dir()
    const q = DiskQueue.open({ dir: path, capacity: 100 })
    q.append(encodeEvent(event(0)))
    q.append(encodeEvent(event(1)))
    q.close()
    const seg = readdirSync(path).find((f) => f.endsWith('.seg'))!
    appendFileSync(join(path, seg), 'not json\n{"i":"torn')
    const again = open(path)
    expect(again.size).toBe(3)
    expect(ns(again.take(10)!.events)).toEqual([0, 1])
    expect(again.corrupt).toBe(1)
    expect(again.size).toBe(2)
  })

  it('moves to new segments and deletes the ones fully delivered', async () => {
    const path = await dir()
    const q = open(path, 10_000, { segmentBytes: 1_000 })
    for (let n = 0; n < 100; n++) q.append(encodeEvent(event(n)))
    const segments = readdirSync(path).filter((f) => f.endsWith('.seg')).length
    expect(segments).toBeGreaterThan(5)
    for (;;) {
      const t = q.take(7)
      if (!t) break
      q.commit(t)
    }
    expect(q.size).toBe(0)
    // The cursor, and with it the removal of delivered segments, is written at the next flush.
    q.flush()
    expect(readdirSync(path).filter((f) => f.endsWith('.seg')).length).toBe(1)
    q.append(encodeEvent(event(100)))
    expect(ns(q.take(1)!.events)).toEqual([100])
  })

  it('refuses a second owner while the first is alive, and takes over the lock of a process that is gone', async () => {
    const path = await dir()
    open(path)
    expect(() => DiskQueue.open({ dir: path, capacity: 10 })).toThrow(
      expect.objectContaining({ code: 'CONFLICT', details: expect.objectContaining({ ref: expect.objectContaining({ key: 'historian.queueLocked' }) }) }),
    )
    const other = await dir()
    // A pid that cannot be alive: the queue of a killed forwarder.
    writeFileSync(join(other, 'lock'), '2147483646')
    const q = open(other)
    expect(q.size).toBe(0)
    expect(existsSync(join(other, 'lock'))).toBe(true)
  })

  it('can be inspected without being opened: queued, dropped, oldest', async () => {
    const path = await dir()
    const q = open(path, 3)
    for (let n = 0; n < 5; n++) q.append(encodeEvent(event(n)))
    q.commit(q.take(1)!)
    q.flush()
    expect(inspectQueue(path)).toEqual({ queued: 2, dropped: 2, oldestReceivedAt: event(3).receivedAt })
    expect(inspectQueue(join(path, 'missing'))).toBeNull()
  })
})
