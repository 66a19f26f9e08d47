/**
 * Benchmark (not a test): 1,000 SIM status changes through the rate governor against the Control Center peer
 * enforcing 50 requests/s with one in flight, with 5 % of the changes meeting an injected 429 or 503. Prints the
 * requests/s the peer accepted divided by its limit (target ≥ 0.98), and lost and duplicated operations
 * (target 0). Run with `npm run bench -- governor`.
 */
import { createControlCenterClient } from '../../src-main/core/carriers/control-center/control-center.client'
import { createGovernor } from '../../src-main/core/http/governor'
import { loadavg } from 'node:os'
import { Inventory } from '../peers/control-center/inventory'
import { startPeerProcess } from './cc-peer-process'

const OPERATIONS = Number(process.env.OPERATIONS ?? 1000)
const LIMIT = 50
const FAULT_RATE = 0.05

// A seeded generator, so every run injects the same faults at the same operations.
let seed = 42
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31

// A retired SIM stays retired at the peer ([I], docs/wire/control-center.md §1.13): the changes go to SIMs that are not,
// known from the peer's seeded inventory (the same seed and size) without calls that would count against its limit.
const SIMS = Math.ceil(OPERATIONS * 1.25)
const peer = await startPeerProcess({ devices: SIMS, rateLimit: { perSecond: LIMIT, concurrent: 1 } })
const seeded = new Inventory(1, SIMS, 1)
const changeable = peer.iccids.filter((_, n) => seeded.device(n).status !== 'RETIRED').slice(0, OPERATIONS)
if (changeable.length < OPERATIONS) throw new Error(`only ${changeable.length} of the peer's ${SIMS} SIMs can change status`)
const governor = createGovernor({ concurrency: 1, perSecond: LIMIT })
const client = createControlCenterClient({ carrier: 'jasper', baseUrl: peer.url, username: 'ops', apiKey: 'test-api-key', governor })
try {
  let injected = 0
  const statuses = changeable.map((iccid, i) => {
    if (random() < FAULT_RATE) {
      injected++
      peer.setFault({ kind: 'status', status: random() < 0.5 ? 429 : 503, times: 1, method: 'PUT', path: new RegExp(iccid) })
    }
    return { iccid, status: i % 2 === 0 ? ('deactivated' as const) : ('retired' as const) }
  })
  // The statistics' answer comes after the faults (one ordered channel): they are all in place before the first call.
  const before = await peer.stats()
  let failed = 0
  const started = performance.now()
  // All queued at once: the governor, not the caller, paces them.
  await Promise.all(
    statuses.map(({ iccid, status }) =>
      client.editDevice(iccid, { status }).then(
        () => undefined,
        () => void failed++,
      ),
    ),
  )
  const seconds = (performance.now() - started) / 1000
  const after = await peer.stats()
  const requests = (after.byRoute['PUT /devices/{iccid}'] ?? 0) - (before.byRoute['PUT /devices/{iccid}'] ?? 0)
  const refused = after.rateLimited - before.rateLimited
  const perIccid = new Map<string, number>()
  for (const c of after.statusChanges) perIccid.set(c.iccid, (perIccid.get(c.iccid) ?? 0) + 1)
  const lost = statuses.filter(({ iccid }) => !perIccid.has(iccid)).length
  const duplicated = [...perIccid.values()].filter((n) => n > 1).length
  // A request the peer refused for going over its limit used no room under it: only the ones it took count.
  const rate = (requests - refused) / seconds
  console.log(`status changes: ${OPERATIONS} in ${seconds.toFixed(1)} s; ${requests} PUT requests reached the peer (${injected} faults injected, ${refused} refused by its own limit)`)
  console.log(`achieved ${rate.toFixed(1)} accepted requests/s against a limit of ${LIMIT}/s: ratio ${(rate / LIMIT).toFixed(3)} (target ≥ 0.98)`)
  // Fault answers take room in the peer's window (its limit counts what passes it; the fault comes after), so at most
  // OPERATIONS / accepted requests of the limit can be completed operations.
  const ceiling = OPERATIONS / (requests - refused)
  console.log(
    `operations completed ${(OPERATIONS / seconds).toFixed(1)}/s: ${(OPERATIONS / seconds / LIMIT).toFixed(3)} of the limit (ceiling with the fault answers ${ceiling.toFixed(3)}); lost ${lost}, duplicated ${duplicated}, failed ${failed} (target 0, 0, 0)`,
  )
  console.log(`governor: ${JSON.stringify(governor.stats())}; load average (1 min) ${loadavg()[0]!.toFixed(1)}`)
} finally {
  await client.close()
  await peer.close()
}
