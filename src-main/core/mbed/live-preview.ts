/**
 * The UI's live stream of notifications: batched into one 'mbed:notifications' event at most every 100 ms (≤ 10
 * pushes/s, DESIGN "high-rate streams"), at most 200 items per event with the rest counted in `omitted`, payloads cut
 * to LIVE_PAYLOAD_MAX characters (the MQTT event always carries the whole payload).
 */
import { LIVE_PAYLOAD_MAX, type MbedLiveNotification } from '../../../src-shared/models/mbed'

export const LIVE_INTERVAL_MS = 100
export const LIVE_MAX_ITEMS = 200

export interface LivePreview {
  add(now: number, item: { ep: string; path: string; ct?: string | undefined; payload: string; maxAge?: number | undefined; deviceType: string }): void
  /** Sends what is waiting now (at stop, so nothing received is held back). */
  flush(): void
}

export function createLivePreview(emit: (payload: { items: MbedLiveNotification[]; omitted: number }) => void): LivePreview {
  let live: MbedLiveNotification[] = []
  let omitted = 0
  let timer: NodeJS.Timeout | undefined

  function flush(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (live.length === 0 && omitted === 0) return
    const items = live
    const count = omitted
    live = []
    omitted = 0
    emit({ items, omitted: count })
  }

  return {
    add(now, n) {
      if (live.length >= LIVE_MAX_ITEMS) {
        omitted++
        return
      }
      const truncated = n.payload.length > LIVE_PAYLOAD_MAX
      live.push({
        at: new Date(now).toISOString(),
        ep: n.ep,
        path: n.path,
        ...(n.ct !== undefined ? { ct: n.ct } : {}),
        payload: truncated ? n.payload.slice(0, LIVE_PAYLOAD_MAX) : n.payload,
        truncated,
        ...(n.maxAge !== undefined ? { maxAge: n.maxAge } : {}),
        deviceType: n.deviceType,
      })
      if (!timer) {
        timer = setTimeout(flush, LIVE_INTERVAL_MS)
        timer.unref?.()
      }
    },
    flush,
  }
}
