/**
 * `ledger submit`'s wait: each try said once with the node it went to, the routes and targets read once per submission
 * (they were listed again at every try) and again only after the ledger's configuration changed on this core.
 */
import { describe, expect, it } from 'vitest'
import { waitFinal } from '../../src-main/cli/commands/ledger-wait'
import type { Runtime } from '../../src-main/cli/runtime'
import { EventBus } from '../../src-main/core/common/events'
import type { ForwardItem } from '../../src-shared/models/ledger'

const ITEM: ForwardItem = {
  id: 'ledger-item:r1:k1',
  routeId: 'r1',
  eventKey: 'k1',
  source: { typeId: 't', deviceId: 'd', eventId: 'e' },
  state: 'pending',
  attempts: 0,
  nextAttemptAt: null,
  txId: null,
  block: null,
  lastError: null,
  receivedAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:00.000Z',
  manual: true,
}

/** The item after `n` failed tries, each with its own next try. */
const failedTry = (n: number): ForwardItem => ({
  ...ITEM,
  attempts: n,
  nextAttemptAt: `2026-12-07T10:00:0${n}.000Z`,
  lastError: { code: 'NETWORK', name: 'Unreachable', message: 'connection refused' },
})

function fakeRuntime(answers: ForwardItem[], onAnswer: (index: number, bus: EventBus) => void = () => undefined) {
  const bus = new EventBus()
  const calls: string[] = []
  const lines: string[] = []
  let rpcUrl = 'http://127.0.0.1:8545'
  let polls = 0
  const call = async (channel: string): Promise<unknown> => {
    calls.push(channel)
    if (channel === 'ledger:routes') return { items: [{ id: 'r1', targetId: 'chain' }] }
    if (channel === 'ledger:targets') return { items: [{ id: 'chain', settings: { kind: 'evm', rpcUrl } }] }
    const index = Math.min(polls++, answers.length - 1)
    onAnswer(index, bus)
    return answers[index]
  }
  const rt = { core: { bus }, json: false, call, err: (text: string) => lines.push(text) } as unknown as Runtime
  return { rt, calls, lines, setRpcUrl: (url: string) => (rpcUrl = url) }
}

const listings = (calls: string[]) => calls.filter((c) => c !== 'ledger:item')

describe('ledger submit waiting for its item', () => {
  it('says each failed try once with its node, reading the routes and targets once for the whole submission', async () => {
    const committed: ForwardItem = { ...failedTry(4), state: 'committed', txId: '0xabc', block: '7', lastError: null, nextAttemptAt: null }
    const { rt, calls, lines } = fakeRuntime([ITEM, failedTry(1), failedTry(1), failedTry(2), failedTry(3), failedTry(4), committed])
    expect(await waitFinal(rt, ITEM)).toEqual(committed)
    expect(lines).toHaveLength(4)
    lines.forEach((line, i) => expect(line).toContain(`k1 not committed yet (pending, attempt ${i + 1}): Unreachable: connection refused (target chain at http://127.0.0.1:8545)`))
    expect(listings(calls)).toEqual(['ledger:routes', 'ledger:targets'])
  })

  it('reads them again after the ledger configuration changed, and names the node as it now is', async () => {
    let setUrl: (url: string) => void = () => undefined
    const { rt, calls, lines, setRpcUrl } = fakeRuntime([failedTry(1), failedTry(2), failedTry(3), { ...failedTry(3), state: 'failed' }], (index, bus) => {
      if (index === 1) {
        setUrl('http://127.0.0.1:9545')
        bus.emit('ledger:changed', { what: 'targets' })
      }
    })
    setUrl = setRpcUrl
    await waitFinal(rt, ITEM)
    expect(lines.map((l) => /\(target chain at ([^)]+)\)/.exec(l)?.[1])).toEqual(['http://127.0.0.1:8545', 'http://127.0.0.1:9545', 'http://127.0.0.1:9545'])
    expect(listings(calls)).toEqual(['ledger:routes', 'ledger:targets', 'ledger:routes', 'ledger:targets'])
  })

  it('reads nothing but its item when no try fails, and says nothing in --json', async () => {
    const { rt, calls, lines } = fakeRuntime([failedTry(1), { ...failedTry(1), state: 'committed' }])
    await waitFinal({ ...rt, json: true }, ITEM)
    expect(lines).toEqual([])
    expect(listings(calls)).toEqual([])
  })
})
