import type { CycleUsage } from '../../../../src-shared/models/sim'
import type { AlertRule } from '../../../../src-shared/models/sim-inventory'

/**
 * The geometry of the usage chart, apart from the drawing so it can be tested: billing cycles on a time axis (a
 * missing cycle leaves a gap, a short one a narrow bar), the plan's allowance as a step line where it is known, and
 * the cycles above it.
 */

export const CHART = { perCycle: 56, minWidth: 480, height: 220, left: 64, right: 12, top: 30, bottom: 36 } as const
/** The last cycles shown: a year. */
export const MAX_CYCLES = 12
const DAY_MS = 86_400_000

export interface Bar {
  cycle: CycleUsage
  /** The cycle's span on the axis: from its start to the next cycle's, a month at most. */
  x: number
  width: number
  y: number
  height: number
  /** The allowance of the cycle's rate plan, when an operator entered one; null otherwise. */
  allowance: number | null
  over: boolean
}

export interface AllowanceStep {
  x1: number
  x2: number
  y: number
  bytes: number
}

export interface Tick {
  at: number
  value: number
}

export interface DateTick {
  x: number
  date: string
  /** The first tick and each January say the year; the others only the month. */
  withYear: boolean
}

export interface ChartGeometry {
  width: number
  height: number
  plot: { left: number; right: number; top: number; bottom: number }
  bars: Bar[]
  steps: AllowanceStep[]
  yTicks: Tick[]
  xTicks: DateTick[]
}

/**
 * What each rate plan includes, as operators entered it in "share of the allowance" rules (the carriers' plan lists
 * give no allowance, docs/wire/control-center.md §1.5). Where two rules disagree, the most recently added one wins.
 */
export function planAllowances(rules: readonly AlertRule[]): Map<string, number> {
  const out = new Map<string, number>()
  const shares = rules.filter((r) => r.condition.kind === 'dataShare').sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  for (const rule of shares) if (rule.condition.kind === 'dataShare') for (const [plan, bytes] of Object.entries(rule.condition.allowances)) out.set(plan, bytes)
  return out
}

const dayOf = (date: string): number => Date.parse(`${date}T00:00:00Z`)

function monthAfter(date: string): number {
  const d = new Date(`${date}T00:00:00Z`)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
}

/** The smallest 1, 2 or 5 × 10ⁿ at least `value`: a step axis labels read at a glance. */
export function niceStep(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power
  return 10 * power
}

export function chartGeometry(cycles: readonly CycleUsage[], allowances: ReadonlyMap<string, number>): ChartGeometry {
  const sorted = [...cycles].sort((a, b) => a.cycleStartDate.localeCompare(b.cycleStartDate)).slice(-MAX_CYCLES)
  const width = Math.max(CHART.minWidth, CHART.left + CHART.right + sorted.length * CHART.perCycle)
  const plot = { left: CHART.left, right: width - CHART.right, top: CHART.top, bottom: CHART.height - CHART.bottom }
  const spans = sorted.map((c, i) => {
    const next = sorted[i + 1]
    const start = dayOf(c.cycleStartDate)
    // A cycle lasts until the next one starts, or a month at most: a cycle the carrier did not report leaves a gap.
    const month = monthAfter(c.cycleStartDate)
    return { cycle: c, start, end: next ? Math.min(dayOf(next.cycleStartDate), month) : month }
  })
  const t0 = spans[0]?.start ?? 0
  const t1 = spans.at(-1)?.end ?? t0 + DAY_MS
  const x = (t: number): number => plot.left + ((t - t0) / (t1 - t0)) * (plot.right - plot.left)

  const allowanceOf = (c: CycleUsage): number | null => (c.ratePlan === null ? null : (allowances.get(c.ratePlan) ?? null))
  const highest = Math.max(1, ...sorted.map((c) => Math.max(c.totalDataBytes, allowanceOf(c) ?? 0)))
  const step = niceStep(highest / 4)
  const top = Math.ceil(highest / step) * step
  const y = (v: number): number => plot.bottom - (v / top) * (plot.bottom - plot.top)
  const yTicks: Tick[] = []
  for (let v = 0; v <= top + step / 2; v += step) yTicks.push({ at: y(v), value: v })

  const bars = spans.map(({ cycle, start, end }): Bar => {
    const left = x(start)
    const span = x(end) - left
    const gap = span * 0.15
    const allowance = allowanceOf(cycle)
    return {
      cycle,
      x: left + gap,
      width: span - 2 * gap,
      y: y(cycle.totalDataBytes),
      height: plot.bottom - y(cycle.totalDataBytes),
      allowance,
      over: allowance !== null && cycle.totalDataBytes > allowance,
    }
  })
  const steps = spans.flatMap(({ start, end }, i): AllowanceStep[] => {
    const bytes = bars[i]!.allowance
    return bytes === null ? [] : [{ x1: x(start), x2: x(end), y: y(bytes), bytes }]
  })
  const xTicks = sorted.map((c, i): DateTick => ({ x: x(dayOf(c.cycleStartDate)), date: c.cycleStartDate, withYear: i === 0 || c.cycleStartDate.slice(5, 7) === '01' }))
  return { width, height: CHART.height, plot, bars, steps, yTicks, xTicks }
}

/** The allowance line as one SVG path: a level per cycle, joined where consecutive cycles both have one. */
export function stepPath(steps: readonly AllowanceStep[]): string {
  return steps.map((s, i) => `${i > 0 && steps[i - 1]!.x2 === s.x1 ? 'L' : 'M'}${s.x1.toFixed(1)},${s.y.toFixed(1)}H${s.x2.toFixed(1)}`).join('')
}
