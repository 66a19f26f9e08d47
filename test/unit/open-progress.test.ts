import { describe, expect, it } from 'vitest'
import { openProgressReporter } from '../../src-main/cli/open-progress'

function run(isTTY: boolean, events: [number, number, boolean][], building = true): string {
  let text = ''
  const report = openProgressReporter({ isTTY, write: (t: string) => (text += t) })
  for (const [devices, elapsedMs, done] of events) report({ devices, elapsedMs, done, building, changes: 0 })
  return text
}

describe('opening progress on the CLI', () => {
  it('says nothing when the workspace opens in a moment', () => {
    expect(
      run(true, [
        [5000, 80, false],
        [7000, 120, true],
      ]),
    ).toBe('')
  })

  it('rewrites one line on a terminal, and ends it with the count and the time', () => {
    expect(
      run(true, [
        [5000, 900, false],
        [200_000, 1500, false],
        [1_000_000, 61_000, true],
      ]),
    ).toBe('\rfieldline: building the device index (once): 200,000 devices indexed (1.5 s)\rfieldline: workspace opened: 1,000,000 devices in 61.0 s\n')
  })

  it('counts the documents read once every device is indexed, so that the line still moves', () => {
    let text = ''
    const report = openProgressReporter({ isTTY: false, write: (t: string) => (text += t) })
    report({ devices: 1_000_000, elapsedMs: 150_000, done: false, building: true, changes: 1_000_000 })
    report({ devices: 1_000_000, elapsedMs: 160_000, done: false, building: true, changes: 1_120_000 })
    expect(text).toBe(
      'fieldline: building the device index (once): 1,000,000 devices indexed (150.0 s)\nfieldline: building the device index (once): 1,000,000 devices indexed, 1,120,000 documents read (160.0 s)\n',
    )
  })

  it('says when it is catching up rather than building', () => {
    expect(run(false, [[400_000, 1200, false]], false)).toBe('fieldline: catching up the device index: 400,000 devices (1.2 s)\n')
  })

  it('writes a line at most every five seconds into a pipe or a log', () => {
    const events: [number, number, boolean][] = Array.from({ length: 120 }, (_, i) => [(i + 1) * 5000, (i + 1) * 100, false])
    const lines = run(false, [...events, [600_000, 12_500, true]])
      .trimEnd()
      .split('\n')
    expect(lines).toEqual([
      'fieldline: building the device index (once): 50,000 devices indexed (1.0 s)',
      'fieldline: building the device index (once): 300,000 devices indexed (6.0 s)',
      'fieldline: building the device index (once): 550,000 devices indexed (11.0 s)',
      'fieldline: workspace opened: 600,000 devices in 12.5 s',
    ])
  })
})
