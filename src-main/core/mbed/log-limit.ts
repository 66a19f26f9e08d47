/**
 * Log helpers for the bridge's modules: a logger that says nothing (for callers that pass none), and a per-kind
 * limiter so that one bad publisher or one odd endpoint cannot flood the log.
 */
import type { Logger } from '../log/logger'

export const noopLogger: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

/** Per this period, at most LOG_BURST warnings of one kind; the rest are counted and reported with the next. */
export const LOG_PERIOD_MS = 10_000
export const LOG_BURST = 20

export type LimitedWarn = (kind: string, fields: Record<string, unknown>, message: string) => void

/** A warning logger that keeps at most LOG_BURST lines per kind per LOG_PERIOD_MS (`now` is for tests). */
export function limitedLog(log: Logger, now: () => number = Date.now): LimitedWarn {
  const windows = new Map<string, { start: number; count: number; suppressed: number }>()
  return (kind, fields, message) => {
    const at = now()
    let w = windows.get(kind)
    if (!w || at - w.start >= LOG_PERIOD_MS) {
      const suppressed = w?.suppressed ?? 0
      w = { start: at, count: 0, suppressed: 0 }
      windows.set(kind, w)
      if (suppressed > 0) fields = { ...fields, suppressedBefore: suppressed }
    }
    if (w.count >= LOG_BURST) {
      w.suppressed++
      return
    }
    w.count++
    log.warn(fields, message)
  }
}
