/**
 * Benchmark (not a test): 1,000 SIM status changes through the rate governor against the Control Center peer
 * enforcing 50 requests/s with one in flight, with 5 % of the changes meeting an injected 429 or 503. Prints the
 * requests/s the peer received divided by its limit (target ≥ 0.9), and lost and duplicated operations
 * (target 0). Run with `npm run bench -- governor`.
 */
import { createControlCenterClient } from '../../src-main/core/carriers/control-center/control-center.client'
import { createGovernor } from '../../src-main/core/http/governor'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'

const OPERATIONS = Number(process.env.OPERATIONS ?? 1000)
const LIMIT = 50
const FAULT_RATE = 0.05

// A seeded generator, so every run injects the same faults at the same operations.
let seed = 42
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31

const peer = await startControlCenterPeer({ devices: OPERATIONS, rateLimit: { perSecond: LIMIT, concurrent: 1 } })
const governor = createGovernor({ concurrency: 1, perSecond: LIMIT })
const client = createControlCenterClient({ carrier: 'jasper', baseUrl: peer.url, username: 'ops', apiKey: 'test-api-key', governor })
try {
  const before = peer.stats()
  let injected = 0
  let failed = 0
  const started = performance.now()
  const work: Promise<void>[] = []
  for (let i = 0; i < OPERATIONS; i++) {
    const iccid = peer.iccids[i]!
    if (random() < FAULT_RATE) {
      injected++
      peer.faults.set({ kind: 'status', status: random() < 0.5 ? 429 : 503, times: 1, method: 'PUT', path: new RegExp(iccid) })
    }
    // All queued at once: the governor, not the caller, paces them.
    work.push(
      client.editDevice(iccid, { status: i % 2 === 0 ? 'deactivated' : 'retired' }).then(
        () => undefined,
        () => void failed++,
      ),
    )
  }
  await Promise.all(work)
  const seconds = (performance.now() - started) / 1000
  const after = peer.stats()
  const requests = (after.byRoute['PUT /devices/{iccid}'] ?? 0) - (before.byRoute['PUT /devices/{iccid}'] ?? 0)
  const perIccid = new Map<string, number>()
  for (const c of after.statusChanges) perIccid.set(c.iccid, (perIccid.get(c.iccid) ?? 0) + 1)
  const lost = peer.iccids.slice(0, OPERATIONS).filter((iccid) => !perIccid.has(iccid)).length
  const duplicated = [...perIccid.values()].filter((n) => n > 1).length
  const rate = requests / seconds
  console.log(
    `status changes: ${OPERATIONS} in ${seconds.toFixed(1)} s; ${requests} PUT requests reached the peer (${injected} faults injected, ${after.rateLimited - before.rateLimited} refused by its own limit)`,
  )
  console.log(`achieved ${rate.toFixed(1)} requests/s against a limit of ${LIMIT}/s: ratio ${(rate / LIMIT).toFixed(3)} (target ≥ 0.9)`)
  console.log(`operations completed ${(OPERATIONS / seconds).toFixed(1)}/s; lost ${lost}, duplicated ${duplicated}, failed ${failed} (target 0, 0, 0)`)
} finally {
  await client.close()
  await peer.close()
}
