/**
 * The bridge's outgoing queue (src-main/core/mbed/publish-queue.ts) against a scripted link: in-flight limit, order
 * kept across failed publishes, refusals counted, drop-oldest while the link is away, back-pressure gate, drain.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { createPublishQueue, type PublishQueueOptions } from '../../src-main/core/mbed/publish-queue'

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

function setup(queueSize = 10, maxInflight = 2) {
  const { link, calls } = fakeLink()
  const counters = { published: 0, dropped: 0, refused: 0 }
  const warned: string[] = []
  const queue = createPublishQueue({ link: link as unknown as PublishQueueOptions['link'], queueSize, maxInflight, counters, warn: (kind) => warned.push(kind) })
  return { link, calls, counters, warned, queue }
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
    queue.clear()
  })
})
