/**
 * The bridge's outgoing queue (src-main/core/mbed/publish-queue.ts) against a scripted link: in-flight limit, order
 * kept across failed publishes, refusals counted, drop-oldest while the link is away, back-pressure gate, drain; and
 * on disk: its line format, what a reopened queue sends first, a torn or unreadable line, its lock.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createPublishQueue, outItemCodec, type OutItem, type PublishQueue, type PublishQueueOptions } from '../../src-main/core/mbed/publish-queue'

type Call = { topic: string; payload: string; resolve: () => void; reject: (e: unknown) => void }

function fakeLink() {
  const calls: Call[] = []
  const link = {
    state: 'connected' as PublishQueueOptions['link']['state'],
    publish: (topic: string, payload: string | Buffer) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ topic, payload: String(payload), resolve, reject })
      }),
  }
  return { link, calls }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

const dirs: string[] = []
const open: PublishQueue[] = []
afterEach(() => {
  for (const q of open.splice(0)) q.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fieldline-mbed-pq-'))
  dirs.push(dir)
  return dir
}

function setup(queueSize = 10, maxInflight = 2, dir = newDir()) {
  const { link, calls } = fakeLink()
  const counters = { published: 0, dropped: 0, refused: 0 }
  const warned: string[] = []
  const queue = createPublishQueue({ link: link as unknown as PublishQueueOptions['link'], dir, queueSize, maxInflight, counters, warn: (kind) => warned.push(kind) })
  queue.open()
  open.push(queue)
  return { link, calls, counters, warned, queue, dir }
}

describe('publish queue', () => {
  it('publishes at most maxInflight at once and counts what the broker acknowledged', async () => {
    const { calls, counters, queue } = setup(10, 2)
    for (let i = 0; i < 5; i++) queue.enqueue(`t/${i}`, `p${i}`, 'notify')
    queue.pump()
    expect(calls.map((c) => c.topic)).toEqual(['t/0', 't/1'])
    calls[0]?.resolve()
    await flush()
    expect(calls.map((c) => c.topic)).toEqual(['t/0', 't/1', 't/2'])
    expect(counters.published).toBe(1)
    expect(queue.size()).toBe(4)
  })

  it('puts publishes that failed with the connection back in front, in their order', async () => {
    const { calls, queue, link } = setup(10, 3)
    for (let i = 0; i < 4; i++) queue.enqueue(`t/${i}`, 'x', 'notify')
    queue.pump()
    link.state = 'reconnecting'
    const lost = new AppError('NETWORK', 'gone', { ref: { key: 'platform.notConnected' } })
    calls[2]?.reject(lost)
    calls[0]?.reject(lost)
    calls[1]?.reject(new AppError('NETWORK', 'gone', { ref: { key: 'platform.publishInterrupted' } }))
    await flush()
    await flush()
    link.state = 'connected'
    queue.pump()
    expect(calls.slice(3).map((c) => c.topic)).toEqual(['t/0', 't/1', 't/2'])
  })

  it('counts and drops a message the broker refused', async () => {
    const { calls, counters, queue, warned } = setup()
    queue.enqueue('t/0', 'x', 'notify')
    queue.pump()
    calls[0]?.reject(new AppError('FORBIDDEN', 'no', { ref: { key: 'platform.publishRefused' } }))
    await flush()
    expect(counters.refused).toBe(1)
    expect(queue.size()).toBe(0)
    expect(warned).toContain('refused')
  })

  it('sends the next message as soon as one is refused, without waiting for another notification', async () => {
    const { calls, counters, queue } = setup(10, 1)
    queue.enqueue('t/0', 'too large', 'notify')
    queue.enqueue('t/1', 'next', 'notify')
    queue.pump()
    calls[0]?.reject(new AppError('TOO_LARGE', 'too large'))
    await flush()
    expect(counters.refused).toBe(1)
    expect(calls.map((c) => c.topic)).toEqual(['t/0', 't/1'])
  })

  it('drops the oldest while the link is away, counted', () => {
    const { calls, counters, queue, link } = setup(3)
    link.state = 'reconnecting'
    for (let i = 0; i < 5; i++) queue.enqueue(`t/${i}`, 'x', 'notify')
    queue.pump()
    expect(calls).toHaveLength(0)
    expect(counters.dropped).toBe(2)
    link.state = 'connected'
    queue.pump()
    expect(calls.map((c) => c.topic)).toEqual(['t/2', 't/3'])
  })

  it('closes the gate at the high-water mark while connected, and opens it at half', async () => {
    const { calls, queue } = setup(8, 1)
    for (let i = 0; i < 4; i++) queue.enqueue(`t/${i}`, 'x', 'notify')
    const gate = queue.ready()
    expect(gate).toBeInstanceOf(Promise)
    let opened = false
    void gate?.then(() => (opened = true))
    queue.pump()
    calls[0]?.resolve()
    await flush()
    expect(opened).toBe(false)
    calls[1]?.resolve()
    await flush()
    expect(opened).toBe(true)
    expect(queue.ready()).toBeNull()
  })

  it('keeps the gate open while the link is away (the drop-oldest rule applies then)', () => {
    const { queue, link } = setup(8, 1)
    link.state = 'reconnecting'
    for (let i = 0; i < 8; i++) queue.enqueue(`t/${i}`, 'x', 'notify')
    expect(queue.ready()).toBeNull()
  })

  it('drained() resolves once everything is acknowledged, and false after its timeout otherwise', async () => {
    const { calls, queue } = setup()
    queue.enqueue('t/0', 'x', 'notify')
    queue.pump()
    const done = queue.drained(5_000)
    calls[0]?.resolve()
    expect(await done).toBe(true)
    queue.enqueue('t/1', 'x', 'notify')
    queue.pump()
    expect(await queue.drained(20)).toBe(false)
  })
})

describe('publish queue on disk', () => {
  const segment = (dir: string): string => {
    const seg = readdirSync(dir).find((f) => f.endsWith('.seg'))
    if (!seg) throw new Error('no segment')
    return join(dir, seg)
  }

  it('writes each message as one line and reads it back as it was', () => {
    const items: OutItem[] = [
      { kind: 'notify', topic: 'iot-2/type/Light/id/ep-1/evt/notify/fmt/json', payload: '{"ep":"ep-1","path":"/3/0/13","payload":"MTIz"}' },
      { kind: 'asyncResponse', topic: 'iot-2/type/mbed/id/é/evt/asyncResponse/fmt/json', payload: '{"error":"line\nbreak \u2028 \\"quoted\\""}' },
      { kind: 'bridgeError', topic: 't', payload: '' },
    ]
    for (const item of items) {
      const line = outItemCodec.encode(item)
      expect(line.indexOf(0x0a)).toBe(line.length - 1)
      expect(outItemCodec.decode(line.toString('utf8', 0, line.length - 1))).toEqual(item)
    }
  })

  it('reads an unreadable line as null rather than a message', () => {
    for (const line of [
      '',
      'not json',
      '[]',
      'null',
      '42',
      '{"k":"notify","t":"t"}',
      '{"k":"other","t":"t","p":""}',
      '{"k":"notify","t":"","p":""}',
      '{"k":"notify","t":7,"p":""}',
      '{"k":"notify","t":"t","p":{}}',
      '{"k":"notify","t":"t","p":"x"',
    ]) {
      expect(outItemCodec.decode(line)).toBeNull()
    }
  })

  it('sends what a closed (or killed) queue left first, in order, and not what the broker acknowledged', async () => {
    const first = setup(10, 1)
    for (let i = 0; i < 4; i++) first.queue.enqueue(`t/${i}`, `p${i}`, 'notify')
    first.queue.pump()
    first.calls[0]?.resolve()
    await flush()
    expect(first.counters.published).toBe(1)
    first.queue.close()

    const again = setup(10, 5, first.dir)
    expect(again.queue.size()).toBe(3)
    again.queue.enqueue('t/new', 'new', 'notify')
    again.queue.pump()
    expect(again.calls.map((c) => [c.topic, c.payload])).toEqual([
      ['t/1', 'p1'],
      ['t/2', 'p2'],
      ['t/3', 'p3'],
      ['t/new', 'new'],
    ])
  })

  it('says how many messages the last run left, and how many of them still wait', async () => {
    const first = setup(10, 1)
    expect(first.queue.kept()).toEqual({ count: 0, queued: 0 })
    for (let i = 0; i < 4; i++) first.queue.enqueue(`t/${i}`, `p${i}`, 'notify')
    first.queue.close()

    const again = setup(10, 2, first.dir)
    expect(again.queue.kept()).toEqual({ count: 4, queued: 4 })
    again.queue.enqueue('t/new', 'new', 'notify')
    again.queue.pump()
    again.calls[0]?.resolve()
    again.calls[1]?.reject(new AppError('VALIDATION', 'refused'))
    await flush()
    expect(again.queue.kept()).toEqual({ count: 4, queued: 2 })
    for (let answered = 2; answered < again.calls.length; answered++) {
      again.calls[answered]?.resolve()
      await flush()
    }
    expect(again.counters.published + again.counters.refused).toBe(5)
    expect(again.queue.kept()).toEqual({ count: 4, queued: 0 })
    again.queue.close()
    expect(again.queue.kept()).toEqual({ count: 0, queued: 0 })
  })

  it('counts kept messages the full queue dropped as no longer waiting', () => {
    const first = setup(3, 1)
    for (let i = 0; i < 3; i++) first.queue.enqueue(`t/${i}`, `p${i}`, 'notify')
    first.queue.close()
    const again = setup(3, 1, first.dir)
    again.link.state = 'reconnecting'
    again.queue.enqueue('t/new', 'new', 'notify')
    expect(again.queue.kept()).toEqual({ count: 3, queued: 2 })
  })

  it('cuts off a line torn by a crash and skips a line it cannot read, sending the rest in order', () => {
    const first = setup(10, 1)
    first.link.state = 'reconnecting'
    first.queue.enqueue('t/0', 'a', 'notify')
    first.queue.enqueue('t/1', 'b', 'notify')
    first.queue.close()
    appendFileSync(segment(first.dir), 'garbage that is no message\n')
    appendFileSync(segment(first.dir), outItemCodec.encode({ kind: 'notify', topic: 't/2', payload: 'c' }))
    // The last write of a killed process, cut short: never acknowledged, so never to be sent.
    appendFileSync(segment(first.dir), '{"k":"notify","t":"t/torn","p":"hal')

    const again = setup(10, 10, first.dir)
    again.queue.enqueue('t/3', 'd', 'notify')
    again.queue.pump()
    expect(again.calls.map((c) => c.topic)).toEqual(['t/0', 't/1', 't/2', 't/3'])
    expect(readFileSync(segment(first.dir), 'utf8')).not.toContain('torn')
  })

  it('refuses a second bridge on the same queue directory with a translated error, and lets it in once the first closed', () => {
    const first = setup()
    const { link } = fakeLink()
    const second = createPublishQueue({
      link: link as unknown as PublishQueueOptions['link'],
      dir: first.dir,
      queueSize: 10,
      maxInflight: 1,
      counters: { published: 0, dropped: 0, refused: 0 },
      warn: () => 0,
    })
    expect(() => second.open()).toThrow(
      expect.objectContaining({ code: 'CONFLICT', details: expect.objectContaining({ ref: { key: 'mbed.queueLocked', params: { pid: process.pid, dir: first.dir } } }) }),
    )
    first.queue.close()
    second.open()
    open.push(second)
    // A lock left by a process that is gone (killed) is taken over.
    second.close()
    writeFileSync(join(first.dir, 'lock'), '2147483646')
    second.open()
    expect(readFileSync(join(first.dir, 'lock'), 'utf8')).toBe(String(process.pid))
  })

  it('keeps messages published after the queue was closed (stop gave up waiting) for the next start', async () => {
    const first = setup(10, 2)
    first.queue.enqueue('t/0', 'x', 'notify')
    first.queue.pump()
    first.queue.close()
    first.calls[0]?.resolve()
    await flush()
    const again = setup(10, 2, first.dir)
    again.queue.pump()
    // At least once: the broker may have it, and gets it again.
    expect(again.calls.map((c) => c.topic)).toEqual(['t/0'])
  })

  it('holds a message it cannot write, and those after it, in order, until the disk takes writes again; reports the failure', async () => {
    const dir = newDir()
    const failures: AppError[] = []
    const counters = { published: 0, dropped: 0, refused: 0 }
    const { link, calls } = fakeLink()
    link.state = 'reconnecting'
    const queue = createPublishQueue({ link: link as unknown as PublishQueueOptions['link'], dir, queueSize: 10, maxInflight: 5, counters, warn: () => 0, writeFailed: (e) => failures.push(e) })
    queue.open()
    open.push(queue)
    queue.enqueue('t/0', 'first', 'notify')
    // A disk refusing a write is hard to provoke here; a line breaking the one-line rule makes the write throw alike.
    const encode = outItemCodec.encode
    outItemCodec.encode = () => Buffer.from('two\nlines\n')
    try {
      queue.enqueue('t/1', 'refused', 'notify')
    } finally {
      outItemCodec.encode = encode
    }
    // The disk would take this one, but it must not overtake the one held before it.
    queue.enqueue('t/2', 'after', 'notify')
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'INTERNAL', details: { ref: { key: 'mbed.queueFailed' } } })
    expect(counters.dropped).toBe(0)
    expect(queue.unwritten()).toBe(2)
    expect(queue.size()).toBe(3)

    queue.writeHeld()
    expect(queue.unwritten()).toBe(0)
    link.state = 'connected'
    queue.pump()
    await flush()
    expect(calls.map((c) => c.payload)).toEqual(['first', 'refused', 'after'])
  })

  it('a disk that still refuses the held messages throws from writeHeld and keeps them; close says how many it loses', () => {
    const dir = newDir()
    const counters = { published: 0, dropped: 0, refused: 0 }
    const { link } = fakeLink()
    const queue = createPublishQueue({ link: link as unknown as PublishQueueOptions['link'], dir, queueSize: 10, maxInflight: 1, counters, warn: () => 0, writeFailed: () => {} })
    queue.open()
    const encode = outItemCodec.encode
    outItemCodec.encode = () => Buffer.from('two\nlines\n')
    try {
      queue.enqueue('t/0', 'x', 'notify')
      expect(() => queue.writeHeld()).toThrow(/message queue/)
      expect(queue.unwritten()).toBe(1)
    } finally {
      outItemCodec.encode = encode
    }
    expect(queue.close()).toBe(1)
  })
})
