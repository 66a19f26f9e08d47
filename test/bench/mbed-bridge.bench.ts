/**
 * Benchmark (not a test; prints figures, asserts nothing): notifications per second sustained from the mbed peer
 * through the bridge into mosquitto and out to a subscriber, next to mosquitto's own publish→subscribe throughput
 * measured in the same run with a plain mqtt client, and the bridge's RSS over time (it should stay flat).
 *
 * The bridge runs as the headless CLI does (runMbedBridge, configured by FIELDLINE_* variables) in a child process,
 * so its RSS is its own; the peer and the subscriber share this process. Target: ≥ 5,000 notifications/s on a
 * 2-core machine, memory flat once the heap has sized itself to the rate (run ≥ 60 s: the second half's change is the
 * figure; BENCH_HEAP=gc shows the live heap, which stayed at ~80 MiB over 75 s at 43,000/s, 2026-12-06).
 *
 *   node --import tsx test/bench/mbed-bridge.bench.ts            (or: npm run bench -- mbed-bridge)
 *   BENCH_SECONDS=20          length of the bridge run (default 60)
 *   BENCH_RATE=50000          notifications/s the peer offers (default 50,000, meant to be more than the bridge takes;
 *                             when the bridge keeps up with it, the figure is the offered rate, not the bridge's limit)
 *   BENCH_CHANNEL=websocket   the Pelion WebSocket channel instead of the long poll
 *   BENCH_PROFILE=<dir>       write a V8 CPU profile of the bridge process there
 *   BENCH_HEAP=1              the bridge prints its heap figures every 5 s; BENCH_HEAP=gc after a forced GC (live
 *                             memory, as opposed to garbage V8 has not collected yet, which RSS includes)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { connectAsync } from 'mqtt'
import { fmt, rssMiB, sleep, startQuietBroker } from './bench-kit'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const RATE = Number(process.env.BENCH_RATE ?? 50_000)
const CHANNEL = process.env.BENCH_CHANNEL === 'websocket' ? 'websocket' : 'longpoll'
const BASELINE_SECONDS = Math.min(10, Math.max(3, Math.round(SECONDS / 6)))
const SAMPLES = 12

/** The bridge, exactly as `fieldline bridge mbed` runs it, until SIGTERM. */
async function runChild(): Promise<void> {
  const { configFromEnvironment, runMbedBridge } = await import('../../src-main/cli/commands/bridge')
  const config = await configFromEnvironment(process.env)
  const stopSignal = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()))
  if (process.env.BENCH_HEAP) {
    setInterval(() => {
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      const m = process.memoryUsage()
      const mib = (n: number) => (n / 1048576).toFixed(1)
      process.stderr.write(`heap rss=${mib(m.rss)} heapTotal=${mib(m.heapTotal)} heapUsed=${mib(m.heapUsed)} external=${mib(m.external)} arrayBuffers=${mib(m.arrayBuffers)}\n`)
    }, 5000).unref()
  }
  // The bridge's queue on disk, as the CLI keeps it in the data directory (a fresh one per run).
  const queueDir = mkdtempSync(join(tmpdir(), 'fieldline-bench-mbed-queue-'))
  const code = await runMbedBridge(config, { line: (text) => process.stderr.write(`${text}\n`), stopSignal, queueDir })
  rmSync(queueDir, { recursive: true, force: true })
  process.exit(code)
}

async function runParent(): Promise<void> {
  const { startMbedPeer } = await import('../peers/mbed/mbed.peer')
  const broker = await startQuietBroker()
  const flavour = CHANNEL === 'websocket' ? 'pelion' : 'connector'
  const peer = await startMbedPeer({ flavour })
  const endpoints = peer.endpoints()
  console.log(`mbed bridge benchmark: ${SECONDS} s, peer offering ${fmt(RATE)} notifications/s, channel ${CHANNEL}, ${endpoints.length} endpoints`)

  try {
    // ---- 1. mosquitto alone: a plain client publishing QoS 1 (pipelined, like the bridge) to a QoS 0 subscriber ----
    const sample = `{"ep":"${endpoints[0]?.name}","path":"/3303/0/5700","ct":"text/plain","payload":"MTIzNDU2","max-age":0}`
    const baseline = await mosquittoBaseline(
      broker.url,
      endpoints.map((e) => `iot-2/type/${e.type}/id/${e.name}/evt/notify/fmt/json`),
      sample,
    )
    console.log(`mosquitto publish→subscribe (plain mqtt client, QoS 1 publish, QoS 0 subscribe, ${BASELINE_SECONDS} s): ${fmt(baseline)} messages/s`)

    // ---- 2. the bridge -------------------------------------------------------------------------------------------
    const sub = await connectAsync(broker.url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0 })
    let received = 0
    sub.on('message', () => {
      received++
    })
    await sub.subscribeAsync('iot-2/type/+/id/+/evt/notify/fmt/json', { qos: 0 })

    // BENCH_PROFILE=<dir>: a V8 CPU profile of the bridge process, for finding where its time goes.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []
    if (process.env.BENCH_HEAP === 'gc') profile.push('--expose-gc')
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), '--bridge-child'], {
      env: {
        ...process.env,
        FIELDLINE_MBED_URL: peer.url,
        FIELDLINE_MBED_ACCESS_KEY: 'ak_test_key',
        FIELDLINE_MBED_CHANNEL: CHANNEL,
        FIELDLINE_MBED_FLAVOUR: flavour,
        FIELDLINE_MQTT_URL: broker.url,
        FIELDLINE_MQTT_CLIENT_ID: 'a:bench:mbed-bridge',
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    })
    let childLog = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      childLog += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    while (!childLog.includes('mbed bridge running')) {
      if (child.exitCode !== null) throw new Error(`the bridge exited early:\n${childLog}`)
      await sleep(50)
    }
    // mbed delivers notifications only for subscribed resources: the stream starts once the bridge subscribed them.
    const streamed = endpoints.map((e) => [e.name, e.resources.find((r) => r.obs)?.path ?? ''] as const)
    while (!streamed.every(([ep, path]) => peer.subscribed('ak_test_key', ep, path))) {
      if (child.exitCode !== null) throw new Error(`the bridge exited early:\n${childLog}`)
      await sleep(50)
    }
    const pid = child.pid ?? 0
    const rssIdle = rssMiB(pid)

    peer.startStream({ ratePerSecond: RATE })
    const started = performance.now()
    const interval = (SECONDS * 1000) / SAMPLES
    const rows: { t: number; rate: number; rss: number }[] = []
    let last = { at: started, received: 0 }
    for (let i = 1; i <= SAMPLES; i++) {
      await sleep(started + i * interval - performance.now())
      const now = performance.now()
      const r = received
      rows.push({ t: (now - started) / 1000, rate: ((r - last.received) * 1000) / (now - last.at), rss: rssMiB(pid) })
      last = { at: now, received: r }
    }
    peer.stopStream()
    const elapsed = (performance.now() - started) / 1000
    // Steady state: everything after the first sample (start-up, JIT warm-up).
    const steady = rows.slice(1)
    const sustained = steady.reduce((s, row) => s + row.rate, 0) / Math.max(1, steady.length)

    console.log('\n   t (s)   delivered/s   bridge RSS (MiB)')
    console.log(`     0.0             -   ${rssIdle.toFixed(1).padStart(16)}  (idle, before the stream)`)
    for (const row of rows) console.log(`${row.t.toFixed(1).padStart(8)}  ${fmt(row.rate).padStart(12)}   ${row.rss.toFixed(1).padStart(16)}`)

    const stats = peer.stats()
    child.kill('SIGTERM')
    const code = await exited
    const rssGrowth = (rows.at(-1)?.rss ?? 0) - (rows[1]?.rss ?? 0)
    // RSS climbs for the first ~10 s at 50,000/s while V8 sizes its heap to the allocation rate, then stays: a leak
    // keeps growing over the second half too, a plateau does not (a short run's first figure is mostly the climb).
    const lateGrowth = (rows.at(-1)?.rss ?? 0) - (rows[Math.floor(rows.length / 2) - 1]?.rss ?? 0)

    console.log('')
    const keptUp = sustained >= RATE * 0.98
    console.log(
      `bridge: ${fmt(sustained)} notifications/s sustained (mean of ${steady.length} samples after the first), ${fmt(received)} delivered in ${elapsed.toFixed(1)} s${keptUp ? ' — all that was offered: the bridge was not saturated' : ''}`,
    )
    console.log(
      `peer: ${fmt(stats.notificationsEmitted)} emitted, ${fmt(stats.notificationsDelivered)} handed to the bridge, ${fmt(stats.itemsDropped)} dropped by the peer's own queue (offered beyond what was read)`,
    )
    console.log(`ratio bridge / mosquitto alone: ${(sustained / baseline).toFixed(2)}`)
    console.log(
      `bridge RSS: ${rssIdle.toFixed(1)} MiB idle, ${rows.at(-1)?.rss.toFixed(1)} MiB after ${elapsed.toFixed(0)} s (change since the second sample: ${signed(rssGrowth)} MiB; over the second half of the run: ${signed(lateGrowth)} MiB)`,
    )
    console.log(`target ≥ 5,000 notifications/s: ${sustained >= 5000 ? 'met' : 'NOT met'}; bridge exit code ${code}`)
    const summary = childLog.split('\n').filter((l) => l.includes('summary') || l.includes('failed') || l.includes('degraded') || l.startsWith('heap '))
    for (const l of summary) console.log(`bridge: ${l}`)
    await sub.endAsync(true)
  } finally {
    await peer.close()
    await broker.stop()
  }
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`

/** Messages/s through mosquitto alone: a plain client publishing QoS 1 with up to 1,000 unacknowledged, round-robin over the bridge's topics. */
async function mosquittoBaseline(url: string, topics: string[], payload: string): Promise<number> {
  const sub = await connectAsync(url, { clientId: `bench-base-sub-${process.pid}`, reconnectPeriod: 0 })
  const pub = await connectAsync(url, { clientId: `bench-base-pub-${process.pid}`, reconnectPeriod: 0 })
  let received = 0
  sub.on('message', () => {
    received++
  })
  await sub.subscribeAsync('iot-2/type/+/id/+/evt/notify/fmt/json', { qos: 0 })
  const body = Buffer.from(payload)
  let inflight = 0
  let sent = 0
  let running = true
  const waker: { wake: (() => void) | null } = { wake: null }
  const pump = (): void => {
    while (running && inflight < 1000) {
      inflight++
      pub.publish(topics[sent++ % topics.length] ?? 'x', body, { qos: 1 }, () => {
        inflight--
        const w = waker.wake
        waker.wake = null
        w?.()
      })
    }
  }
  const loop = (async () => {
    while (running) {
      pump()
      await new Promise<void>((resolve) => (waker.wake = resolve))
    }
  })()
  await sleep(1000)
  const start = { at: performance.now(), received }
  await sleep(BASELINE_SECONDS * 1000)
  const rate = ((received - start.received) * 1000) / (performance.now() - start.at)
  running = false
  waker.wake?.()
  await loop
  await pub.endAsync(true)
  await sub.endAsync(true)
  return rate
}

if (process.argv.includes('--bridge-child')) await runChild()
else await runParent()
