/**
 * What the bridge does with each envelope the channel delivers (docs/wire/mbed.md §1.6, §2):
 * - registrations / reg-updates teach the endpoint types (and queue mode) and go to the subscriptions, as do the
 *   endpoints that leave;
 * - each notification becomes `iot-2/type/<type>/id/<ep>/evt/notify/fmt/json` {ep, path, ct, payload, max-age}
 *   (payload base64 as received; absent ct / max-age stay absent), and an item of the UI's live stream while someone
 *   watches;
 * - each async response goes to the pending commands.
 * Notifications are counted, and their rate measured for the counters.
 */
import type { Logger } from '../log/logger'
import type { EndpointTypes } from './endpoint-types'
import type { MbedAsyncResponse, MbedEnvelope, MbedRegistration } from './envelope'
import type { LivePreview } from './live-preview'
import type { OutKind } from './publish-queue'

export interface EnvelopeHandlerOptions {
  types: EndpointTypes
  live: LivePreview
  /** Whether the UI watches the live stream (items are built only then). */
  watching: () => boolean
  enqueue: (topic: string, payload: string, kind: OutKind) => void
  pump: () => void
  asyncResponse: (a: MbedAsyncResponse) => void
  /** A `registrations` item (`full`) or a `reg-updates` item, after its type was learnt. */
  registered: (r: MbedRegistration, full: boolean) => void
  /** A de-registration or an expired registration. */
  left: (ep: string) => void
  counters: { notifications: number; malformed: number }
  log: Logger
}

/** The notify event body, built as text: at thousands per second JSON.stringify of an object costs more. */
export function notifyJson(n: { ep: string; path: string; ct?: string | undefined; payload: string; maxAge?: number | undefined }): string {
  let json = `{"ep":${JSON.stringify(n.ep)},"path":${JSON.stringify(n.path)}`
  if (n.ct !== undefined) json += `,"ct":${JSON.stringify(n.ct)}`
  json += `,"payload":"${n.payload}"`
  if (n.maxAge !== undefined) json += `,"max-age":${n.maxAge}`
  return `${json}}`
}

export class EnvelopeHandler {
  private rate = { at: Date.now(), count: 0 }

  constructor(private readonly o: EnvelopeHandlerOptions) {}

  /** Notifications per second since the last call (one decimal), and starts a new measure. */
  takeRate(now: number): number {
    const elapsed = now - this.rate.at
    const perSecond = elapsed > 0 ? Math.round((this.rate.count * 1000 * 10) / elapsed) / 10 : 0
    this.rate = { at: now, count: 0 }
    return perSecond
  }

  handle(envelope: MbedEnvelope): void {
    const { types, counters } = this.o
    counters.malformed += envelope.malformed
    for (const [list, full] of [
      [envelope.registrations, true],
      [envelope.regUpdates, false],
    ] as const) {
      for (const r of list) {
        types.learn(r.ep, r.ept, r.queueMode)
        this.o.registered(r, full)
      }
    }
    if (envelope.deRegistrations.length > 0 || envelope.registrationsExpired.length > 0) {
      this.o.log.info({ deRegistrations: envelope.deRegistrations.length, expired: envelope.registrationsExpired.length }, 'mbed bridge: endpoints left')
      for (const ep of [...envelope.deRegistrations, ...envelope.registrationsExpired]) this.o.left(ep)
    }

    const now = Date.now()
    const watching = this.o.watching()
    for (const n of envelope.notifications) {
      counters.notifications++
      this.rate.count++
      const topic = types.notifyTopic(n.ep)
      if (topic === null) {
        types.unroutable(n.ep, 'notification')
        continue
      }
      this.o.enqueue(topic, notifyJson(n), 'notify')
      if (watching) this.o.live.add(now, { ...n, deviceType: types.typeOf(n.ep) })
    }
    for (const a of envelope.asyncResponses) this.o.asyncResponse(a)
    this.o.pump()
  }
}
