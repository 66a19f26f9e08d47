import { describe, expect, it } from 'vitest'
import { NonceLanes, type LaneNonces } from '../../src-main/core/ledger/nonce-lanes'

const takeAll = (n: LaneNonces, count: number) => Array.from({ length: count }, () => n.take())

describe('nonce lanes', () => {
  it('hands out consecutive nonces from the node’s pending count, and a nonce given back before any new one', async () => {
    const lanes = new NonceLanes(() => [])
    expect(
      await lanes.run(
        'l',
        async () => 7,
        async (n) => takeAll(n, 3),
      ),
    ).toEqual([7, 8, 9])
    // Nonce 8 was refused by the node while 9 was accepted: 8 must be used next, or 9 waits in the pool forever.
    await lanes.run(
      'l',
      async () => 7,
      async (n) => n.giveBack(8),
    )
    expect(
      await lanes.run(
        'l',
        async () => 7,
        async (n) => takeAll(n, 2),
      ),
    ).toEqual([8, 10])
  })

  it('after a restart, fills every gap between the node’s count and the highest nonce written down', async () => {
    // Written down (and so sent, or sent again): 5, 7 and 9. 6 and 8 were signed in a batch that was never written.
    const lanes = new NonceLanes(() => [5, 7, 9])
    expect(
      await lanes.run(
        'l',
        async () => 5,
        async (n) => takeAll(n, 4),
      ),
    ).toEqual([6, 8, 10, 11])
  })

  it('ignores written nonces the node has already passed, and starts past its count when nothing is written', async () => {
    const lanes = new NonceLanes(() => [1, 2])
    expect(
      await lanes.run(
        'l',
        async () => 4,
        async (n) => takeAll(n, 2),
      ),
    ).toEqual([4, 5])
  })

  it('rebuilds from the node after a resync, and runs one caller at a time per lane', async () => {
    let chain = 3
    const lanes = new NonceLanes(() => [])
    const order: string[] = []
    const first = lanes.run(
      'l',
      async () => chain,
      async (n) => {
        order.push('first:start')
        await new Promise((r) => setTimeout(r, 20))
        order.push('first:end')
        return n.take()
      },
    )
    const second = lanes.run(
      'l',
      async () => chain,
      async (n) => {
        order.push('second')
        return n.take()
      },
    )
    expect(await Promise.all([first, second])).toEqual([3, 4])
    expect(order).toEqual(['first:start', 'first:end', 'second'])
    chain = 10
    lanes.resync('l')
    expect(
      await lanes.run(
        'l',
        async () => chain,
        async (n) => n.take(),
      ),
    ).toEqual(10)
  })
})
