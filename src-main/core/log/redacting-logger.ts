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
      // pino logs an Error given first under `err`; its redacted copy is a plain object, so it is put there by hand.
      const head = first instanceof Error ? { err: redactUrlsDeep(first) } : typeof first === 'string' ? redactUrlsIn(first) : redactUrlsDeep(first)
      const args = [head, ...rest.map((r) => (typeof r === 'string' ? redactUrlsIn(r) : redactUrlsDeep(r)))]
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
