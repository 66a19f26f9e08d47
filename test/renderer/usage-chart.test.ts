import { describe, expect, it } from 'vitest'
import type { CycleUsage } from '../../src-shared/models/sim'
import type { AlertRule } from '../../src-shared/models/sim-inventory'
import { CHART, chartGeometry, MAX_CYCLES, niceStep, planAllowances, stepPath } from '../../src-renderer/src/features/sim/usage-chart'

const GB = 1e9
const cycle = (cycleStartDate: string, totalDataBytes: number, ratePlan: string | null = 'IoT 2GB'): CycleUsage => ({
  carrier: 'jasper',
  iccid: '89011234567890123456',
  cycleStartDate,
  billableDataBytes: null,
  totalDataBytes,
  smsCount: null,
  billableSmsCount: null,
  voiceSeconds: null,
  billableVoiceSeconds: null,
  billable: null,
  ratePlan,
  source: 'rest-usageInZone',
  fetchedAt: '2026-12-01T00:00:00.000Z',
})
const rule = (id: string, createdAt: string, allowances: Record<string, number>): AlertRule => ({
  id,
  name: id,
  condition: { kind: 'dataShare', percent: 80, allowances },
  carriers: [],
  accounts: [],
  emails: [],
  createdAt,
})

describe('the usage chart geometry', () => {
  it('places cycles on a time axis: a missing month leaves a gap as wide as a month', () => {
    const g = chartGeometry([cycle('2026-03-01', GB), cycle('2026-01-01', GB), cycle('2026-02-01', GB), cycle('2026-05-01', GB)], new Map())
    expect(g.bars.map((b) => b.cycle.cycleStartDate)).toEqual(['2026-01-01', '2026-02-01', '2026-03-01', '2026-05-01'])
    const [jan, feb, mar, may] = g.xTicks.map((t) => t.x) as [number, number, number, number]
    // Ticks in proportion to the days between them (31, 28, 61 days).
    expect((feb - jan) / 31).toBeCloseTo((mar - feb) / 28, 6)
    expect((may - mar) / 61).toBeCloseTo((feb - jan) / 31, 6)
    expect(g.bars[2]!.x + g.bars[2]!.width).toBeLessThan(g.xTicks[3]!.x - (feb - jan) / 2)
    // The year is said on the first tick and in January only.
    expect(g.xTicks.map((t) => t.withYear)).toEqual([true, false, false, false])
    expect(g.xTicks[0]!.x).toBe(CHART.left)
    expect(g.bars.at(-1)!.x + g.bars.at(-1)!.width).toBeLessThan(g.plot.right)
  })

  it('scales bars to a rounded value axis that covers the highest bar and the allowance', () => {
    const g = chartGeometry([cycle('2026-01-01', 1.3 * GB), cycle('2026-02-01', 0.6 * GB)], new Map([['IoT 2GB', 2 * GB]]))
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 0.5 * GB, 1 * GB, 1.5 * GB, 2 * GB])
    expect(g.yTicks[0]!.at).toBe(g.plot.bottom)
    expect(g.yTicks.at(-1)!.at).toBe(g.plot.top)
    const [a, b] = g.bars as [(typeof g.bars)[0], (typeof g.bars)[0]]
    expect(a.height / b.height).toBeCloseTo(1.3 / 0.6, 6)
    expect(a.y + a.height).toBe(g.plot.bottom)
  })

  it("draws each cycle's plan allowance at its level and flags only the cycles above it", () => {
    const allowances = new Map([
      ['IoT 2GB', 2 * GB],
      ['IoT 5GB', 5 * GB],
    ])
    const g = chartGeometry([cycle('2026-01-01', 2.4 * GB), cycle('2026-02-01', 1.9 * GB), cycle('2026-03-01', 4 * GB, 'IoT 5GB'), cycle('2026-04-01', 9 * GB, null)], allowances)
    expect(g.bars.map((b) => [b.allowance, b.over])).toEqual([
      [2 * GB, true],
      [2 * GB, false],
      [5 * GB, false],
      // No plan, no allowance: never flagged, however high.
      [null, false],
    ])
    expect(g.steps.map((s) => s.bytes)).toEqual([2 * GB, 2 * GB, 5 * GB])
    const level = (bytes: number): number => g.plot.bottom - (bytes / g.yTicks.at(-1)!.value) * (g.plot.bottom - g.plot.top)
    expect(g.steps.map((s) => s.y)).toEqual([level(2 * GB), level(2 * GB), level(5 * GB)])
    // The over bar reaches above the line; the one under it stays below.
    expect(g.bars[0]!.y).toBeLessThan(g.steps[0]!.y)
    expect(g.bars[1]!.y).toBeGreaterThan(g.steps[1]!.y)
    // Each level spans its cycle on the axis, joined to the next without a gap.
    expect(g.steps[0]!.x2).toBe(g.steps[1]!.x1)
    expect(stepPath(g.steps)).toMatch(/^M[\d.]+,[\d.]+H[\d.]+L[\d.]+,[\d.]+H[\d.]+L[\d.]+,[\d.]+H[\d.]+$/)
  })

  it('starts a new piece of the line after a cycle without an allowance', () => {
    const g = chartGeometry([cycle('2026-01-01', GB), cycle('2026-02-01', GB, null), cycle('2026-03-01', GB)], new Map([['IoT 2GB', 2 * GB]]))
    expect(stepPath(g.steps).match(/M/g)).toHaveLength(2)
  })

  it('shows the last year of cycles, each wide enough for its figure', () => {
    const months = Array.from({ length: 20 }, (_, i) => cycle(`${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`, (i + 1) * 1e8))
    const g = chartGeometry(months, new Map())
    expect(g.bars).toHaveLength(MAX_CYCLES)
    expect(g.bars[0]!.cycle.cycleStartDate).toBe('2025-09-01')
    for (const bar of g.bars) expect(bar.width).toBeGreaterThan(30)
  })

  it('takes allowances from "share of the allowance" rules, the latest rule winning for a plan', () => {
    const rules = [rule('newer', '2026-02-01T00:00:00.000Z', { 'IoT 2GB': 2.5 * GB }), rule('older', '2026-01-01T00:00:00.000Z', { 'IoT 2GB': 2 * GB, 'IoT 5GB': 5 * GB })]
    expect(planAllowances(rules)).toEqual(
      new Map([
        ['IoT 2GB', 2.5 * GB],
        ['IoT 5GB', 5 * GB],
      ]),
    )
  })

  it('rounds axis steps to 1, 2 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.2, 3, 7, 4.2e8].map(niceStep)).toEqual([0.5, 1, 2, 5, 10, 5e8])
  })
})
