/**
 * Benchmark (not a test): how long the package validator and its whole-value matcher take on hostile input. The unit
 * tests check what they answer; these are the times, next to the bounds the unit tests used to assert (a timed
 * assertion fails on a loaded machine and proves nothing on a fast one). V8's own engine on the catastrophic pattern
 * is measured in the same run as the baseline. Run with `npm run bench -- dm-hostile` or
 * `node --import tsx test/bench/dm-hostile.bench.ts`.
 */
import { MAX_PACKAGE_BYTES, validatePackage } from '../../src-main/core/dm-packages/validator'
import { compileFullMatch } from '../../src-shared/models/full-match'

/** Median of `runs` timings of `work`, in ms, after one warm-up call. */
function median(runs: number, work: () => void): number {
  work()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    work()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

function report(label: string, ms: number, bound: number): void {
  console.log(`${label}: median ${ms.toFixed(1)} ms (former unit-test bound ${bound} ms: ${ms < bound ? 'within' : 'OVER'})`)
}

const pkg = (parameters: unknown[]) => JSON.stringify({ bundleId: 'b', displayName: { en: 'B' }, actions: { go: { actionDisplayName: { en: 'Go' }, parameters } } })

function matcher(pattern: string): (s: string) => boolean | undefined {
  const m = compileFullMatch(pattern)
  if (!m.ok) throw new Error(`${pattern}: ${m.reason}`)
  return (s) => m.test(s)
}

// 1. Defaults checked against catastrophic patterns (V8 would backtrack exponentially on both).
const catastrophic = pkg([{ name: 'p', value: '(a+)+$', defaultValue: `${'a'.repeat(40)}!` }])
const longUri = pkg([{ name: 'u', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', defaultValue: `http://${'x'.repeat(5000)}\n` }])
report(
  'defaults against (a+)+$ (41 chars) and the IBM URI pattern (5,007 chars)',
  median(20, () => (validatePackage(catastrophic), validatePackage(longUri))),
  1000,
)

// 2. A package whose default checks would cost 5·10⁹ steps: the budget skips most of them.
const expensive = pkg(Array.from({ length: 50 }, (_, i) => ({ name: `p${i}`, value: 'a{1000}[a-z]*', defaultValue: 'a'.repeat(100_000) })))
report(
  '50 defaults of 100,000 characters against a 1,000-instruction pattern (budget applies)',
  median(5, () => validatePackage(expensive)),
  3000,
)

// 3. More than 5 MB: refused by its size before parsing.
const tooLarge = `{"bundleId": "${'x'.repeat(6 * 1024 * 1024)}"}`
report(
  `a ${(tooLarge.length / 1024 / 1024).toFixed(1)} MB package (limit ${MAX_PACKAGE_BYTES / 1024 / 1024} MB), refused unparsed`,
  median(10, () => validatePackage(tooLarge)),
  500,
)

// 4. A 4,000,000-character pattern: never compiled into a matcher.
const hugePattern = pkg([{ name: 'p', value: 'a'.repeat(4_000_000), defaultValue: 'a' }])
report(
  'a 4,000,000-character pattern, not compiled',
  median(5, () => validatePackage(hugePattern)),
  1000,
)

// 5. The matcher alone on inputs where V8 backtracks exponentially, with V8 itself as the baseline.
const cases: [string, string][] = [
  ['((http:\\/\\/|https:\\/\\/)(.*)+)', `http://${'a'.repeat(100_000)}\n`],
  ['(a+)+$', `${'a'.repeat(100_000)}!`],
  ['(a|a)*b', 'a'.repeat(100_000)],
  ['(\\w*)*\\d', 'x'.repeat(50_000)],
]
const compiled = cases.map(([pattern, input]) => [matcher(pattern), input] as const)
report(
  'four catastrophic patterns on 50,000–100,000 characters (Pike VM)',
  median(5, () => compiled.forEach(([m, input]) => m(input))),
  2000,
)
for (const n of [20, 22, 24]) {
  const input = `${'a'.repeat(n)}!`
  const v8 = median(1, () => /^(?:(a+)+$)$/.test(input))
  const ours = median(20, () => matcher('(a+)+$')(input))
  console.log(`  baseline (a+)+$ on ${n + 1} characters: V8 ${v8.toFixed(1)} ms, Pike VM ${ours.toFixed(3)} ms`)
}
