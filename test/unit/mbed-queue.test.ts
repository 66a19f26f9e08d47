/** The bridge's bounded queue (src-main/core/mbed/queue.ts): FIFO, drops the oldest when full, puts failures back in front. */
import { describe, expect, it } from 'vitest'
import { DropOldestQueue } from '../../src-main/core/mbed/queue'

function drain<T>(q: DropOldestQueue<T>): T[] {
  const out: T[] = []
  for (let v = q.shift(); v !== undefined; v = q.shift()) out.push(v)
  return out
}

describe('DropOldestQueue', () => {
  it('is first in, first out, across growth and wrap-around', () => {
    const q = new DropOldestQueue<number>(5000)
    for (let i = 0; i < 3000; i++) expect(q.push(i)).toBe(0)
    for (let i = 0; i < 1000; i++) expect(q.shift()).toBe(i)
    for (let i = 3000; i < 5000; i++) q.push(i)
    expect(q.length).toBe(4000)
    expect(drain(q)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1000))
  })

  it('drops the oldest when full and says so', () => {
    const q = new DropOldestQueue<number>(3)
    let dropped = 0
    for (let i = 1; i <= 10; i++) dropped += q.push(i)
    expect(dropped).toBe(7)
    expect(drain(q)).toEqual([8, 9, 10])
  })

  it('puts items back in front in their order, dropping the oldest of them when there is no room', () => {
    const q = new DropOldestQueue<number>(5)
    q.push(4)
    q.push(5)
    expect(q.unshiftAll([1, 2, 3])).toBe(0)
    expect(drain(q)).toEqual([1, 2, 3, 4, 5])

    q.push(6)
    q.push(7)
    q.push(8)
    expect(q.unshiftAll([1, 2, 3, 4, 5])).toBe(3)
    expect(drain(q)).toEqual([4, 5, 6, 7, 8])
  })

  it('clears and refuses a capacity below one', () => {
    const q = new DropOldestQueue<string>(2)
    q.push('a')
    expect(q.clear()).toBe(1)
    expect(q.length).toBe(0)
    expect(q.shift()).toBeUndefined()
    expect(() => new DropOldestQueue(0)).toThrow(RangeError)
  })
})
