/**
 * Benchmark (not a test; prints figures, asserts nothing): device events per second forwarded from the platform's
 * MQTT broker (Debian's mosquitto) through the console's forward queue to anvil, with the node restarted (SIGTERM,
 * state kept, started again) in the middle of the run; then how many events were lost or committed twice (the
 * contract counts its own updates), and the time from an event's arrival to its commit.
 *
 *   node --import tsx test/bench/ledger-forward.bench.ts        (or: npm run bench -- ledger-forward)
 *   BENCH_EVENTS=2000   device events published (default 2,000), each with its own event id
 */
import { connectAsync } from 'mqtt'
import { createPublicClient, http } from 'viem'
import { scanItems } from '../../src-main/core/ledger/ledger.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'
import { assetRoute, evmTarget, sample } from '../helpers/ledger'
import { startMosquitto } from '../helpers/mosquitto'
import { deployAssetTracker, fundedKey, startAnvil } from '../peers/evm/anvil'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000)
const timings = { queue: { retry: { minMs: 100, maxMs: 1000 }, confirmEveryMs: 50 }, pollingMs: 250 }

const anvil = await startAnvil()
const broker = await startMosquitto()
const tmp = await tempDir('fieldline-ledger-bench-')
const contract = await deployAssetTracker(anvil.url)
const core = await testCore(tmp.dir, { vault: createMemoryStore(), ledgerTimings: timings })
try {
  const targetId = await evmTarget(core.call, anvil.url, contract, await fundedKey(anvil.url))
  await assetRoute(core.call, targetId)
  await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: 'a:bench:ledger' } })
  await core.call('ledger:start', {})
  while (!(await core.call('ledger:status', {})).subscribed || core.links.states()[0]?.state !== 'connected') await new Promise((r) => setTimeout(r, 20))
  const chain = createPublicClient({ transport: http(anvil.url) })
  const abi = [{ type: 'function', name: 'totalUpdates', inputs: [], outputs: [{ type: 'uint256', name: '' }], stateMutability: 'view' }] as const
  const before = await chain.readContract({ address: contract.address, abi, functionName: 'totalUpdates' })

  const device = await connectAsync(broker.url, { clientId: 'd:bench:tracker:t1' })
  const started = performance.now()
  let restartedAt = 0
  for (let i = 0; i < EVENTS; i++) {
    await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', sample(`B-${i % 50}`, { id: `ev-${i}`, temp: 20 + (i % 100) / 10 }), { qos: 1 })
    if (i === Math.floor(EVENTS / 2)) {
      restartedAt = performance.now()
      // Restarted while events keep arriving; its state file keeps the chain.
      void anvil.restart().then(() => console.log(`anvil restarted in ${((performance.now() - restartedAt) / 1000).toFixed(2)} s`))
    }
  }
  const published = performance.now()
  await device.endAsync()
  for (;;) {
    const counts = core.ledger.counts()
    if (counts.committed + counts.failed >= EVENTS && counts.pending === 0 && counts.submitted === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const done = performance.now()
  const after = await chain.readContract({ address: contract.address, abi, functionName: 'totalUpdates' })
  const latencies: number[] = []
  let committed = 0
  let failed = 0
  const keys = new Set<string>()
  await scanItems(core.workspace.db, (d) => {
    keys.add(d.eventKey)
    if (d.state === 'committed') {
      committed++
      latencies.push(Date.parse(d.updatedAt) - Date.parse(d.receivedAt))
    } else failed++
  })
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN
  const lost = EVENTS - [...Array(EVENTS).keys()].filter((i) => keys.has(`ev-${i}`)).length
  console.log(`events published: ${EVENTS} in ${((published - started) / 1000).toFixed(2)} s`)
  console.log(
    `forwarded and committed: ${committed} (failed ${failed}) in ${((done - started) / 1000).toFixed(2)} s from the first publish: ${(committed / ((done - started) / 1000)).toFixed(1)} events/s, node restart included`,
  )
  console.log(`lost: ${lost}   committed twice on the chain: ${Number(after - before) - committed}   (contract updates ${after - before} for ${committed} committed events)`)
  console.log(`event arrival → committed: p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`)
} finally {
  await core.close()
  await broker.stop()
  await anvil.close()
  await tmp.cleanup()
}
