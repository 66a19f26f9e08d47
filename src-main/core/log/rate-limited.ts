import type { Logger } from './logger'

export interface RateLimitedWarning {
  (fields: Record<string, unknown>): void
  /** Writes the count still pending (at shutdown). */
  flush(): void
}

/**
 * A warning that can be provoked from outside (a refused connection, a refused IPC sender) is written at most once
 * per interval: the first at once, then one line per interval with how many more there were and the last one's
 * fields. A flood of 5,000 refusals a second is two lines, not 40 MB.
 */
export function rateLimitedWarning(logger: Logger, message: string, intervalMs = 1000): RateLimitedWarning {
  let timer: NodeJS.Timeout | null = null
  let pending = 0
  let last: Record<string, unknown> = {}

  const writePending = () => {
    if (pending === 0) return false
    logger.warn({ ...last, repeated: pending, withinMs: intervalMs }, `${message} (${pending} more)`)
    pending = 0
    return true
  }
  const tick = () => {
    // The window stays open while refusals keep coming; a quiet interval closes it.
    timer = writePending() ? setTimeout(tick, intervalMs).unref() : null
  }

  const warn = (fields: Record<string, unknown>) => {
    if (timer === null) {
      logger.warn(fields, message)
      timer = setTimeout(tick, intervalMs).unref()
      return
    }
    pending++
    last = fields
  }
  return Object.assign(warn, {
    flush() {
      if (timer !== null) clearTimeout(timer)
      timer = null
      writePending()
    },
  })
}

/** A value from outside, cut to what a log line needs: an 8 KB Origin header is shown by its start and its length. */
export function clip(value: string | undefined | null, max = 120): string | null {
  if (value === undefined || value === null) return null
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value
}
