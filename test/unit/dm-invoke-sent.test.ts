/**
 * invokeAction says the request left (onSent) only once the broker has it: after the response subscription is granted
 * and the publish acknowledged, never before. A subscription never granted (the broker just killed, the link still
 * "connected") ends in a refusal that says the action was not sent, and nothing is published.
 */
import { describe, expect, it } from 'vitest'
import { invokeAction } from '../../src-main/core/dm-packages/invoke'
import type { MessageHandler, PlatformLink, Unsubscribe } from '../../src-main/core/platform/link'
import { rejection } from '../helpers/core'

/** A link as far as invokeAction uses it; `granted` decides whether the broker ever grants the subscription. */
function fakeLink(granted: boolean, log: string[]): { link: PlatformLink; answer: (payload: object) => void; sentReqId: () => string } {
  let handler: MessageHandler | null = null
  let reqId = ''
  const link = {
    state: 'connected',
    subscribe(_filter: string, h: MessageHandler): Unsubscribe {
      handler = h
      log.push('subscribe')
      const ready = granted ? Promise.resolve().then(() => void log.push('granted')) : new Promise<void>(() => undefined)
      return Object.assign(async () => undefined, { ready })
    },
    async publish(_topic: string, payload: { reqId: string }): Promise<void> {
      reqId = payload.reqId
      log.push('publish')
      await Promise.resolve()
      log.push('acknowledged')
    },
  } as unknown as PlatformLink
  return { link, answer: (payload) => handler?.('t', Buffer.from(JSON.stringify(payload))), sentReqId: () => reqId }
}

const REQUEST = { typeId: 'pump', deviceId: 'p-1', bundleId: 'b-1', actionId: 'a', fields: [] }

describe('invokeAction', () => {
  it('says sent once the publish is acknowledged, after the subscription was granted', async () => {
    const log: string[] = []
    const { link, answer, sentReqId } = fakeLink(true, log)
    const running = invokeAction({ ...REQUEST, link, timeoutMs: 60_000, onSent: () => log.push('sent') })
    await expect.poll(() => log.includes('sent')).toBe(true)
    expect(log).toEqual(['subscribe', 'granted', 'publish', 'acknowledged', 'sent'])
    answer({ rc: 200, reqId: sentReqId() })
    expect(await running).toMatchObject({ rc: 200, timedOut: false, reqId: sentReqId() })
  })

  it('never says sent when the subscription is not granted, and says the action was not sent', async () => {
    const log: string[] = []
    const { link } = fakeLink(false, log)
    const e = await rejection(invokeAction({ ...REQUEST, link, timeoutMs: 20, onSent: () => log.push('sent') }))
    expect(e.code).toBe('NETWORK')
    expect(e.details?.ref).toEqual({ key: 'dm.notSubscribed', params: { seconds: 1 } })
    expect(log).toEqual(['subscribe'])
  })
})
