/** The per-kind log limiter (src-main/core/mbed/log-limit.ts): a burst per period, the rest counted and reported. */
import { describe, expect, it } from 'vitest'
import { LOG_BURST, LOG_PERIOD_MS, limitedLog } from '../../src-main/core/mbed/log-limit'
import type { Logger } from '../../src-main/core/log/logger'

function recorder(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log: Logger = { info: () => {}, error: () => {}, debug: () => {}, warn: (fields: Record<string, unknown>) => lines.push(fields) } as unknown as Logger
  return { log, lines }
}

describe('limitedLog', () => {
  it('keeps LOG_BURST lines of one kind per period and reports the suppressed count with the next', () => {
    const { log, lines } = recorder()
    let now = 1_000
    const warn = limitedLog(log, () => now)
    for (let i = 0; i < LOG_BURST + 7; i++) warn('dropped', { i }, 'x')
    expect(lines).toHaveLength(LOG_BURST)
    now += LOG_PERIOD_MS
    warn('dropped', { i: 'next' }, 'x')
    expect(lines.at(-1)).toEqual({ i: 'next', suppressedBefore: 7 })
  })

  it('limits each kind on its own', () => {
    const { log, lines } = recorder()
    const warn = limitedLog(log, () => 0)
    for (let i = 0; i < LOG_BURST * 2; i++) warn('a', {}, 'x')
    warn('b', { kind: 'b' }, 'x')
    expect(lines).toHaveLength(LOG_BURST + 1)
    expect(lines.at(-1)).toEqual({ kind: 'b' })
  })
})
