/**
 * The on-disk queue: order, confirmation, give-back, drop-oldest with a count, restart from the cursor, a torn last
 * line, an unreadable line, the lock, segment removal, inspection from another process's point of view, and the cursor
 * file (written in place in two slots; a torn slot; the format of older versions).
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { inspectEventQueue as inspectQueue, openEventQueue, type EventQueue } from '../../src-main/core/historian/event-queue'
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

function open(path: string, capacity = 1000, extra: { segmentBytes?: number } = {}): EventQueue {
  const q = openEventQueue({ dir: path, capacity, ...extra })
  cleanups.push(() => q.close())
  return q
}

function event(n: number, receivedAt = 1_700_000_000_000 + n): HistorianEvent {
  return { id: `org:t:d:${n}`, org: 'org', type: 't', device: 'd', event: 'e', format: 'json', receivedAt, payload: Buffer.from(JSON.stringify({ n })) }
}

const ns = (events: readonly HistorianEvent[]): number[] => events.map((e) => (JSON.parse(e.payload.toString()) as { n: number }).n)

describe('the disk queue of historian events', () => {
  it('hands events out in order, forgets them once committed, and hands back released ones first', async () => {
    const q = open(await dir())
    for (let n = 0; n < 10; n++) q.append(encodeEvent(event(n)))
    expect(q.size).toBe(10)
    const a = q.take(4)!
    const b = q.take(3)!
    expect(ns(a.items)).toEqual([0, 1, 2, 3])
    expect(ns(b.items)).toEqual([4, 5, 6])
    q.release(a)
    expect(ns(q.take(5)!.items)).toEqual([0, 1, 2, 3, 7])
    q.commit(b)
    expect(q.size).toBe(10 - 3)
    expect(q.oldestReceivedAt()).toBe(event(0).receivedAt)
  })

  it('keeps appended events in memory up to a bound while nothing waits on disk, and reads the rest back in order', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 1000, memoryEvents: 3, segmentBytes: 300 })
    for (let n = 0; n < 10; n++) q.append(encodeEvent(event(n)), event(n))
    expect(ns(q.take(4)!.items)).toEqual([0, 1, 2, 3])
    const rest = q.take(100)!
    expect(ns(rest.items)).toEqual([4, 5, 6, 7, 8, 9])
    q.commit(rest)
    // Caught up again (the first four still being sent): new events are kept in memory once more.
    for (let n = 10; n < 12; n++) q.append(encodeEvent(event(n)), event(n))
    expect(ns(q.take(10)!.items)).toEqual([10, 11])
    q.close()
    // The cursor stops at the first event not confirmed (0): what follows comes again, confirmed or not (ids recognise it).
    const again = open(path)
    expect(ns(again.take(100)!.items)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  it('keeps what was not committed across a reopen, and nothing that was', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 1000 })
    for (let n = 0; n < 6; n++) q.append(encodeEvent(event(n)))
    q.commit(q.take(2)!)
    q.take(2)
    q.close()
    const again = open(path)
    expect(again.size).toBe(4)
    expect(ns(again.take(10)!.items)).toEqual([2, 3, 4, 5])
  })

  it('when full, drops the oldest events, one being sent included (its retry leaves it out), and counts them, also across a reopen', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 5 })
    for (let n = 0; n < 3; n++) q.append(encodeEvent(event(n)))
    const sending = q.take(1)!
    for (let n = 3; n < 9; n++) q.append(encodeEvent(event(n)))
    expect(q.size).toBe(5)
    expect(q.dropped).toBe(4)
    expect(q.wasDropped(sending.items[0]!)).toBe(true)
    expect(ns(q.take(10)!.items)).toEqual([4, 5, 6, 7, 8])
    q.commit(sending)
    q.close()
    const again = open(path, 5)
    expect(again.dropped).toBe(4)
    expect(ns(again.take(10)!.items)).toEqual([4, 5, 6, 7, 8])
  })

  it('stays within its size across restarts while a destination holds every queued event through an outage', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 100 })
    for (let n = 0; n < 100; n++) q.append(encodeEvent(event(n)), event(n))
    // The destination takes a batch as large as the queue and retries it for as long as the outage lasts.
    const held = q.take(500)!
    for (let n = 100; n < 130; n++) q.append(encodeEvent(event(n)), event(n))
    expect([q.size, q.dropped]).toEqual([100, 30])
    expect(held.items.filter((e) => !q.wasDropped(e))).toHaveLength(70)
    // Stopped (SIGTERM) without the destination ever confirming: the held batch is given back, then the queue closes.
    q.release(held)
    q.close()
    const again = openEventQueue({ dir: path, capacity: 100 })
    cleanups.push(() => again.close())
    expect([again.size, again.dropped]).toEqual([100, 30])
    expect(ns(again.take(500)!.items)).toEqual(Array.from({ length: 100 }, (_, i) => i + 30))
    for (let n = 130; n < 135; n++) again.append(encodeEvent(event(n)), event(n))
    expect([again.size, again.dropped]).toEqual([100, 35])
  })

  it('cuts a torn last line (a write the crash interrupted) and skips an unreadable one', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 100 })
    q.append(encodeEvent(event(0)))
    q.append(encodeEvent(event(1)))
    q.close()
    const seg = readdirSync(path).find((f) => f.endsWith('.seg'))!
    appendFileSync(join(path, seg), 'not json\n{"i":"torn')
    const again = open(path)
    expect(again.size).toBe(3)
    expect(ns(again.take(10)!.items)).toEqual([0, 1])
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
    expect(ns(q.take(1)!.items)).toEqual([100])
  })

  it('refuses a second owner while the first is alive, and takes over the lock of a process that is gone', async () => {
    const path = await dir()
    open(path)
    expect(() => openEventQueue({ dir: path, capacity: 10 })).toThrow(
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

  it('writes the cursor in place, never by replacing the file (a rename holds the event loop for milliseconds)', async () => {
    const path = await dir()
    const q = open(path)
    q.append(encodeEvent(event(0)))
    q.commit(q.take(1)!)
    q.flush()
    const file = readdirSync(path).find((f) => f.startsWith('cursor'))!
    const inode = statSync(join(path, file)).ino
    for (let n = 1; n < 4; n++) {
      q.append(encodeEvent(event(n)))
      q.commit(q.take(1)!)
      q.flush()
      expect(statSync(join(path, file)).ino).toBe(inode)
    }
    expect(readdirSync(path).filter((f) => f.startsWith('cursor'))).toEqual([file])
    expect(inspectQueue(path)).toMatchObject({ queued: 0 })
  })

  it('reads the previous cursor when a crash tore the latest write, and starts from the first segment when none is readable', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 100 })
    for (let n = 0; n < 6; n++) q.append(encodeEvent(event(n)))
    q.commit(q.take(2)!)
    q.flush()
    q.commit(q.take(2)!)
    q.flush()
    q.close()
    expect(inspectQueue(path)).toMatchObject({ queued: 2 })
    // Tear the slot written last (its checksum no longer matches): the cursor before it holds.
    const fd = openSync(join(path, 'cursor.dat'), 'r+')
    const slots = [0, 128]
    const texts = slots.map((at) => {
      const b = Buffer.alloc(128)
      readSync(fd, b, 0, 128, at)
      return JSON.parse(b.toString().trim()) as { g: number }
    })
    const latest = texts[0]!.g > texts[1]!.g ? 0 : 128
    writeSync(fd, Buffer.from('{"g":99,"segm'), 0, 13, latest)
    expect(inspectQueue(path)).toMatchObject({ queued: 4 })
    const again = openEventQueue({ dir: path, capacity: 100 })
    expect(ns(again.take(10)!.items)).toEqual([2, 3, 4, 5])
    again.close()
    // Both slots unreadable: from the first segment (sent again, recognised by their ids), nothing lost.
    writeSync(fd, Buffer.alloc(256, 'x'), 0, 256, 0)
    closeSync(fd)
    const third = open(path)
    expect(ns(third.take(10)!.items)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('reads the cursor.json of queues written by earlier versions, then keeps only its own file', async () => {
    const path = await dir()
    const q = openEventQueue({ dir: path, capacity: 100 })
    const lines = [0, 1, 2, 3].map((n) => encodeEvent(event(n)))
    for (const l of lines) q.append(l)
    q.close()
    const seg = readdirSync(path).find((f) => f.endsWith('.seg'))!
    for (const f of readdirSync(path).filter((f) => f.startsWith('cursor'))) unlinkSync(join(path, f))
    writeFileSync(join(path, 'cursor.json'), JSON.stringify({ segment: Number(seg.slice(0, 12)), offset: lines[0]!.length + lines[1]!.length, dropped: 7 }))
    expect(inspectQueue(path)).toMatchObject({ queued: 2, dropped: 7 })
    const again = open(path)
    expect(again.dropped).toBe(7)
    const rest = again.take(10)!
    expect(ns(rest.items)).toEqual([2, 3])
    again.commit(rest)
    again.flush()
    expect(readdirSync(path).filter((f) => f.startsWith('cursor'))).toEqual(['cursor.dat'])
    expect(inspectQueue(path)).toMatchObject({ queued: 0, dropped: 7 })
  })
})
