import { redactUrlsDeep, redactUrlsIn } from '../common/redact-url'
import type { Logger } from './logger'

type Level = 'info' | 'warn' | 'error' | 'debug'

/**
 * Wraps a logger so that no URL reaches a log line with its credentials, whoever logs it and whatever the field is
 * called (the logger's own redaction paths know field names, not what a string holds). createCore wraps every
 * logger it is given, so each room of the core logs through this.
 */
export function redactingLogger(inner: Logger): Logger {
  const wrap = (level: Level) =>
    ((first: unknown, ...rest: unknown[]) => {
      const args = [redactUrlsDeep(first), ...rest.map((r) => (typeof r === 'string' ? redactUrlsIn(r) : redactUrlsDeep(r)))]
      ;(inner[level] as (...a: unknown[]) => void).apply(inner, args)
    }) as Logger[Level]
  return {
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    debug: wrap('debug'),
    ...(inner.flush ? { flush: () => inner.flush?.() } : {}),
  }
}
