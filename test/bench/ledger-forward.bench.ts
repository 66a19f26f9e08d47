/**
 * Benchmark (not a test; prints figures, asserts nothing): device events per second forwarded from the platform's
 * MQTT broker (Debian's mosquitto) through the console's forward queue to anvil, with the node restarted (SIGTERM,
 * state kept, started again) in the middle of the run; then how many events were lost or committed twice (the
 * contract counts its own updates), the time from an event's arrival to its commit, and the time from its arrival to
 * its queue item being written (synced): the window in which a crash loses an event the broker already handed over.
 *
 * Two runs in the same process, each with its own anvil, contract and workspace: the queue one item at a time
 * (batch 1: one synced write per state change, one estimate, signature and send after the other — the path before
 * batching) and with its default batch. The machine's load average is printed with each, and the CPU time the console
 * spent per event (less sensitive than events/s to what else the machine runs).
 *
 *   node --import tsx test/bench/ledger-forward.bench.ts        (or: npm run bench -- ledger-forward)
 *   BENCH_EVENTS=2000   device events published per run (default 2,000), each with its own event id
 */
import { loadavg } from 'node:os'
import { connectAsync } from 'mqtt'
import { createPublicClient, http } from 'viem'
import { scanItems, type ItemDoc } from '../../src-main/core/ledger/ledger.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { tempDir, testCore } from '../helpers/core'
import { assetRoute, evmTarget, sample } from '../helpers/ledger'
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { deployAssetTracker, fundedKey, startAnvil } from '../peers/evm/anvil'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000)
const abi = [{ type: 'function', name: 'totalUpdates', inputs: [], outputs: [{ type: 'uint256', name: '' }], stateMutability: 'view' }] as const

const percentiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
  return `p50 ${at(50)} ms, p95 ${at(95)} ms, p99 ${at(99)} ms, max ${sorted.at(-1)} ms`
}

async function run(broker: Mosquitto, label: string, batch: number | undefined): Promise<void> {
  const anvil = await startAnvil()
  const tmp = await tempDir('fieldline-ledger-bench-')
  const contract = await deployAssetTracker(anvil.url)
  const core = await testCore(tmp.dir, {
    vault: createMemoryStore(),
    ledgerTimings: { queue: { retry: { minMs: 100, maxMs: 1000 }, confirmEveryMs: 50, ...(batch ? { batch } : {}) }, pollingMs: 250 },
  })
  // When each new item's write is done (acknowledged, synced): measured around the workspace's bulkDocs.
  const writtenAt = new Map<string, number>()
  const db = core.workspace.db
  const bulkDocs = db.bulkDocs.bind(db)
  db.bulkDocs = (async (docs: ItemDoc[]) => {
    const results = await bulkDocs(docs as never)
    const now = Date.now()
    for (const d of docs) if (d.kind === 'ledgerItem' && !d._rev && !writtenAt.has(d._id)) writtenAt.set(d._id, now - Date.parse(d.receivedAt))
    return results
  }) as typeof db.bulkDocs
  try {
    const targetId = await evmTarget(core.call, anvil.url, contract, await fundedKey(anvil.url))
    await assetRoute(core.call, targetId)
    await core.call('profiles:save', { extension: 'platform', name: 'Broker', settings: { url: broker.url, clientId: `a:bench:ledger${batch ?? 0}` } })
    await core.call('ledger:start', {})
    while (!(await core.call('ledger:status', {})).subscribed || core.links.states()[0]?.state !== 'connected') await new Promise((r) => setTimeout(r, 20))
    const chain = createPublicClient({ transport: http(anvil.url) })
    const before = await chain.readContract({ address: contract.address, abi, functionName: 'totalUpdates' })
    const load = loadavg()[0]!.toFixed(2)

    const device = await connectAsync(broker.url, { clientId: `d:bench:tracker:t${batch ?? 0}` })
    const cpu = process.cpuUsage()
    const started = performance.now()
    let restartedAt = 0
    for (let i = 0; i < EVENTS; i++) {
      await device.publishAsync('iot-2/type/tracker/id/t1/evt/status/fmt/json', sample(`B-${i % 50}`, { id: `ev-${i}`, temp: 20 + (i % 100) / 10 }), { qos: 1 })
      if (i === Math.floor(EVENTS / 2)) {
        restartedAt = performance.now()
        // Restarted while events keep arriving; its state file keeps the chain.
        void anvil.restart().then(() => console.log(`  anvil restarted in ${((performance.now() - restartedAt) / 1000).toFixed(2)} s`))
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
    const used = process.cpuUsage(cpu)
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
    const lost = EVENTS - [...Array(EVENTS).keys()].filter((i) => keys.has(`ev-${i}`)).length
    console.log(`${label} (load average at start ${load}, end ${loadavg()[0]!.toFixed(2)})`)
    console.log(`  events published: ${EVENTS} in ${((published - started) / 1000).toFixed(2)} s`)
    console.log(
      `  forwarded and committed: ${committed} (failed ${failed}) in ${((done - started) / 1000).toFixed(2)} s from the first publish: ${(committed / ((done - started) / 1000)).toFixed(1)} events/s, node restart included`,
    )
    console.log(`  CPU time of this process (the console; publisher included): ${((used.user + used.system) / 1000 / EVENTS).toFixed(2)} ms per event`)
    console.log(`  lost: ${lost}   committed twice on the chain: ${Number(after - before) - committed}   (contract updates ${after - before} for ${committed} committed events)`)
    console.log(`  event arrival → committed: ${percentiles(latencies)}`)
    console.log(`  event arrival → its queue item written (synced): ${percentiles([...writtenAt.values()])}`)
  } finally {
    await core.close()
    await anvil.close()
    await tmp.cleanup()
  }
}

const broker = await startMosquitto()
try {
  await run(broker, 'one item at a time (batch 1)', 1)
  await run(broker, 'batched (default)', undefined)
} finally {
  await broker.stop()
}
