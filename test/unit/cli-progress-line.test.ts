/**
 * Progress without a terminal (a log, a pipe): a line at the start, one at least every 5 s even while the work waits on
 * a call to the core, and the last one (cold trial: `devices import` said nothing for 9 s, then "25% read").
 */
import { describe, expect, it } from 'vitest'
import { importProgress, progressLine, type Every } from '../../src-main/cli/export-progress'
import { LINE_EVERY_MS, openProgressReporter } from '../../src-main/cli/open-progress'

/** A clock moved by hand and a timer fired by hand: no test waits on real time. */
function fakeTime() {
  let t = 1_000_000
  const timers: { ms: number; fn: () => void; stopped: boolean }[] = []
  const every: Every = (ms, fn) => {
    const timer = { ms, fn, stopped: false }
    timers.push(timer)
    return () => void (timer.stopped = true)
  }
  /** Moves the clock on by `ms`, firing the timers due on the way, as setInterval would. */
  const pass = (ms: number) => {
    for (let left = ms; left > 0; left -= 1000) {
      t += Math.min(1000, left)
      for (const timer of timers) if (!timer.stopped && (t - 1_000_000) % timer.ms === 0) timer.fn()
    }
  }
  return { now: () => t, every, pass, timers }
}

function log() {
  const lines: string[] = []
  return { out: { write: (text: string) => void lines.push(text), isTTY: false }, lines }
}

describe('the CLI’s progress in a log', () => {
  it('says the start at once and a line at least every 5 s while a call to the core takes 9 s, then the end', () => {
    const time = fakeTime()
    const { out, lines } = log()
    const progress = importProgress(out, 'big.csv', 4000, time.now, time.every)
    progress(0, 0, false)
    expect(lines).toEqual(['fieldline: importing big.csv: 0% read (0 rows) (0 s)\n'])
    // The first chunk's call takes 9 s: the timer says the import still runs, with how long it has.
    time.pass(9000)
    progress(1000, 2500, false)
    expect(lines).toEqual(['fieldline: importing big.csv: 0% read (0 rows) (0 s)\n', 'fieldline: importing big.csv: 0% read (0 rows) (5 s)\n'])
    time.pass(1000)
    // Due at 10 s: the latest count, written by the timer.
    expect(lines.at(-1)).toBe('fieldline: importing big.csv: 25% read (2,500 rows) (10 s)\n')
    progress(4000, 10_000, false)
    progress(4000, 10_000, true)
    expect(lines.at(-1)).toBe('fieldline: importing big.csv: 100% read (10,000 rows) (10 s)\n')
    expect(lines).toHaveLength(4)
    // Done: nothing more, however long the process still runs.
    time.pass(20_000)
    expect(lines).toHaveLength(4)
  })

  it('writes no more than a line every 5 s however often the work reports', () => {
    const time = fakeTime()
    const { out, lines } = log()
    const line = progressLine(out, time.now, time.every)
    for (let s = 0; s < 12; s++) {
      line(`step ${s}`, false)
      time.pass(1000)
    }
    expect(lines).toEqual(['step 0 (0 s)\n', 'step 4 (5 s)\n', 'step 9 (10 s)\n'])
  })

  it('writes at the pace the opening of the workspace writes its lines, one setting for both', () => {
    const time = fakeTime()
    const line = progressLine(log().out, time.now, time.every)
    line('step', false)
    expect(time.timers.map((t) => t.ms)).toEqual([LINE_EVERY_MS])
    // The opening's lines, into the same log: one at 1 s, the next not before LINE_EVERY_MS later.
    const opened: string[] = []
    const report = openProgressReporter({ isTTY: false, write: (t: string) => void opened.push(t) })
    for (const elapsedMs of [1000, 1000 + LINE_EVERY_MS - 1, 1000 + LINE_EVERY_MS]) report({ devices: 1, elapsedMs, done: false, building: false, changes: 0 })
    expect(opened).toHaveLength(2)
  })

  it('stops when the work fails, without a last line', () => {
    const time = fakeTime()
    const { out, lines } = log()
    const line = progressLine(out, time.now, time.every)
    line('step', false)
    line.stop()
    time.pass(30_000)
    expect(lines).toEqual(['step (0 s)\n'])
  })

  it('rewrites one line on a terminal and starts no timer', () => {
    const time = fakeTime()
    const lines: string[] = []
    const line = progressLine({ write: (t: string) => void lines.push(t), isTTY: true }, time.now, time.every)
    line('a', false)
    line('b', true)
    expect(lines).toEqual(['\ra', '\rb\n'])
    expect(time.timers).toHaveLength(0)
  })
})
