/**
 * Benchmark (not a test): validation time of custom device-management packages. Prints the median and p95 for
 * IBM's example package (target < 5 ms) and for a generated package of about 1 MB with thousands of actions
 * (target < 300 ms), next to their targets. Run with `npm run bench -- dm-validate` or
 * `node --import tsx test/bench/dm-validate.bench.ts`.
 */
import { validatePackage } from '../../src-main/core/dm-packages/validator'

/** The example from IBM's "Extending device management" page: four plug-in actions. */
const EXAMPLE = JSON.stringify(
  {
    bundleId: 'exampleDeviceType-actions-v1',
    displayName: { en_US: 'exampleDeviceType Actions v1' },
    description: { en_US: 'Device management actions for exampleDeviceType devices' },
    version: '1.0',
    provider: 'some company',
    actions: Object.fromEntries(
      [
        ['installPlugin', 'Install Plug-in', 'Install a new plug-in on the device'],
        ['enablePlugin', 'Enable Plug-in', 'Enables a plug-in on the device'],
        ['disablePlugin', 'Disable Plug-in', 'Disables a plug-in on the device'],
        ['uninstallPlugin', 'Uninstall Plug-in', 'Uninstall a plug-in from the device'],
      ].map(([id, name, description]) => [
        id,
        {
          actionDisplayName: { en_US: name },
          description: { en_US: description },
          parameters: [{ name: 'pluginId', value: '\\w+', required: true }, ...(id === 'installPlugin' ? [{ name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true }] : [])],
        },
      ]),
    ),
  },
  null,
  '\t',
)

/**
 * A large, valid, realistic package: actions named in two locales, every other one described, with one to three
 * parameters that have patterns (IBM's catastrophic-looking URI pattern among them) and defaults to check.
 */
function buildPackage(count: number): string {
  const actions: Record<string, unknown> = {}
  for (let n = 0; n < count; n++) {
    const parameters = [
      { name: 'target', value: '[A-Za-z0-9_.-]{1,64}', required: true, defaultValue: `unit-${n}` },
      { name: 'uri', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: false, defaultValue: `https://updates.example.com/p/${n}.zip` },
      { name: 'retries', value: '[0-9]{1,2}', required: false, defaultValue: String(n % 10) },
    ]
    actions[`action-${n}.v1`] = {
      actionDisplayName: { en_US: `Action ${n}`, fr_FR: `Action ${n}` },
      ...(n % 2 === 0 ? { description: { en_US: `Runs step ${n} of the maintenance plan` } } : {}),
      parameters: parameters.slice(0, 1 + (n % 3)),
    }
  }
  return JSON.stringify({ bundleId: 'bench-large-v1', displayName: { en_US: 'Large package' }, version: '1.0', provider: 'Fieldline bench', actions }, null, 2)
}

/** About `bytes` of pretty-printed package: sized from a sample, since the size per action grows with its number. */
function largePackage(bytes: number): { text: string; actions: number; parameters: number } {
  const sample = 1000
  const actions = Math.round((sample * bytes) / Buffer.byteLength(buildPackage(sample)))
  // Parameters per action cycle 1, 2, 3.
  const parameters = Array.from({ length: actions }, (_, n) => 1 + (n % 3)).reduce((a, b) => a + b, 0)
  return { text: buildPackage(actions), actions, parameters }
}

function measure(text: string, runs: number): { median: number; p95: number } {
  // Warm-up: JIT and the ajv-compiled validators.
  for (let i = 0; i < Math.min(20, runs); i++) validatePackage(text)
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const r = validatePackage(text)
    times.push(performance.now() - started)
    if (!r.valid) throw new Error(`benchmark package is invalid: ${r.diagnostics[0]?.message}`)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]! }
}

function report(label: string, target: number, r: { median: number; p95: number }): void {
  const verdict = r.p95 < target ? 'meets' : 'MISSES'
  console.log(`${label}: median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms (target < ${target} ms: ${verdict})`)
}

const typical = measure(EXAMPLE, 2000)
report(`typical package (IBM example, ${EXAMPLE.length} bytes, 4 actions), 2000 runs`, 5, typical)

const large = largePackage(1024 * 1024)
const largeResult = measure(large.text, 40)
report(`large package (${(Buffer.byteLength(large.text) / 1024 / 1024).toFixed(2)} MB, ${large.actions} actions, ${large.parameters} parameters with defaults), 40 runs`, 300, largeResult)

// For information (no target): the worst the size limit allows — a valid package just under 5 MB, and a hostile
// one of the same size whose every action is broken (a diagnostic each, of which 200 are built).
const max = largePackage(4.9 * 1024 * 1024)
const maxResult = measure(max.text, 5)
console.log(
  `largest accepted size (${(Buffer.byteLength(max.text) / 1024 / 1024).toFixed(2)} MB, ${max.actions} actions): median ${maxResult.median.toFixed(0)} ms, p95 ${maxResult.p95.toFixed(0)} ms (no target)`,
)
const broken = `{"bundleId":"b","displayName":{"en":"B"},"actions":{${Array.from({ length: 480_000 }, (_, i) => `"${i.toString(36)}":{}`).join(',')}}}`
const started = performance.now()
const brokenResult = validatePackage(broken)
console.log(
  `hostile ${(broken.length / 1024 / 1024).toFixed(2)} MB with ${brokenResult.diagnostics.at(-1)?.ref.params?.count ?? 0} problems beyond the ${brokenResult.diagnostics.length - 1} shown: ${(performance.now() - started).toFixed(0)} ms (no target)`,
)
