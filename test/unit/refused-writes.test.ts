/** The back-off and the log of writes the disk refuses, on fake timers (the reminder interval is a quarter of an hour). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRefusedWrites, REFUSED_WRITES_REMIND_MS } from '../../src-main/core/log/refused-writes'

const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
const readOnly = Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' })

describe('writes the disk refuses', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('backs off within its bounds, warns once, reminds once per interval with the count, and says when writes land', () => {
    const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = []
    const log = (level: string) => (fields: Record<string, unknown>, msg: string) => void logged.push({ level, msg, fields })
    const refusals = createRefusedWrites({
      what: 'the test outcome',
      backoff: { minMs: 100, maxMs: 1_000 },
      logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: () => undefined } as never,
    })

    const delays = Array.from({ length: 8 }, () => refusals.refused(full)!)
    expect(delays[0]).toBeGreaterThanOrEqual(50)
    expect(delays[0]).toBeLessThanOrEqual(100)
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000)
    expect(delays.at(-1)).toBeGreaterThanOrEqual(500)
    expect(logged).toEqual([{ level: 'warn', msg: 'the disk refuses writes: the test outcome is kept and written as soon as it takes them again', fields: { problem: 'full', refusals: 1 } }])

    vi.advanceTimersByTime(REFUSED_WRITES_REMIND_MS - 1)
    refusals.refused(readOnly)
    expect(logged).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(logged.map((l) => l.msg)).toEqual([expect.stringContaining('the disk refuses writes'), expect.stringContaining('(8 more)')])
    expect(logged[1]!.fields).toMatchObject({ problem: 'read-only', refusals: 9 })

    refusals.refused(full)
    refusals.landed()
    refusals.landed()
    expect(logged.map((l) => [l.level, l.msg.slice(-9)])).toEqual([
      ['warn', 'hem again'],
      ['warn', ' (8 more)'],
      ['warn', ' (1 more)'],
      ['info', 's written'],
    ])
    // A new outage starts the back-off and the warning over.
    expect(refusals.refused(full)).toBeLessThanOrEqual(100)
    expect(logged.map((l) => l.level)).toEqual(['warn', 'warn', 'warn', 'info', 'warn'])
  })

  it('leaves any other failure to its caller', () => {
    const refusals = createRefusedWrites({ what: 'x', backoff: { minMs: 1, maxMs: 2 } })
    expect(refusals.refused(Object.assign(new Error('conflict'), { status: 409 }))).toBeUndefined()
    expect(refusals.refused(new Error('ECONNRESET'))).toBeUndefined()
  })
})
