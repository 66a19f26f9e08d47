/**
 * Benchmark (not a test): a SIM inventory sync from the peers at their rate limit. Control Center: SIMS (default
 * 100,000) SIMs listed at 50 requests/s with one in flight (the peer refuses more with 429); then 100 SIMs changed at
 * the peer and an incremental sync. Orange: ORANGE_LINES (default 20,000: the Orange peer filters and sorts every line
 * on each search, so a larger account measures the peer more than the sync) listed through windows of its 1,000-line
 * result cap. Prints calls made against the fewest the API allows, time, rate and RSS. Run with
 * `npm run bench -- sim-inventory`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCore } from '../../src-main/core/app'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer } from '../peers/orange/orange.peer'
import { fmt } from './bench-kit'

const SIMS = Number(process.env.SIMS ?? 100_000)
const ORANGE_LINES = Number(process.env.ORANGE_LINES ?? 20_000)
const LIMIT = 50
const KEY = 'bench-key'
const NOW = new Date('2026-03-14T10:00:00.000Z')
const START = Date.now()
const clock = () => new Date(NOW.getTime() + (Date.now() - START))
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
const mib = () => Math.round(process.memoryUsage().rss / 1048576)

const cc = await startControlCenterPeer({ devices: SIMS, now: clock, rateLimit: { perSecond: LIMIT, concurrent: 1 }, users: [{ username: 'ops', apiKey: KEY, password: 'pw', role: 'AccountAdmin' }] })
const orange = await startOrangePeer({ lines: ORANGE_LINES, now: clock })
const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-sims-'))
const core = await createCore({ dataDir: dir, mode: 'serve', vault: createMemoryStore(), logger: silent, now: clock })
const call = async <T>(channel: Parameters<typeof core.dispatcher.invoke>[0], input: unknown): Promise<T> => {
  const r = await core.dispatcher.invoke(channel, input as never)
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value as T
}
try {
  const j = await call<{ id: string }>('profiles:save', {
    extension: 'jasper',
    name: 'Bench',
    settings: { baseUrl: cc.url, username: 'ops', concurrency: 1, perSecond: LIMIT },
    secrets: { apiKey: KEY },
  })
  const account = `jasper:${j.id}`
  const rssBefore = mib()
  let peak = rssBefore
  const sampler = setInterval(() => (peak = Math.max(peak, mib())), 200)
  let started = performance.now()
  const full = await call<{ listed: number; calls: number }>('sims:sync', { account })
  let seconds = (performance.now() - started) / 1000
  const minimum = Math.ceil(SIMS / 50)
  console.log(`Control Center full sync: ${fmt(full.listed)} SIMs in ${seconds.toFixed(1)} s; ${fmt(full.calls)} search calls (the API allows no fewer than ${fmt(minimum)}: 50 per page)`)
  console.log(
    `  ${(full.calls / seconds).toFixed(1)} calls/s against a limit of ${LIMIT}/s (ratio ${(full.calls / seconds / LIMIT).toFixed(3)}); ${cc.stats().rateLimited} refused by the peer's limit`,
  )
  console.log(`  RSS ${rssBefore} MiB before, peak ${peak} MiB`)

  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${cc.url}/rws/api/v1/devices/${cc.iccids[i * 7]!}`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`ops:${KEY}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ratePlan: cc.ratePlans[i % cc.ratePlans.length] }),
    })
    if (res.status === 429) i--
    await res.arrayBuffer()
  }
  started = performance.now()
  const incremental = await call<{ listed: number; calls: number }>('sims:sync', { account })
  seconds = (performance.now() - started) / 1000
  console.log(`Control Center incremental sync after 100 changes: ${incremental.listed} SIMs listed, ${incremental.calls} calls (fewest possible ${Math.ceil(100 / 50)}), ${seconds.toFixed(1)} s`)

  const o = await call<{ id: string }>('profiles:save', {
    extension: 'orange',
    name: 'Bench',
    settings: { baseUrl: orange.url, username: 'ak-test', concurrency: 1, perSecond: LIMIT },
    secrets: { password: 'test-password' },
  })
  started = performance.now()
  const ofull = await call<{ listed: number; calls: number }>('sims:sync', { account: `orange:${o.id}` })
  seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  console.log(
    `Orange full sync: ${fmt(ORANGE_LINES)} lines (${fmt(ofull.listed)} listed with the window overlaps) in ${seconds.toFixed(1)} s; ${fmt(ofull.calls)} search calls (fewest possible ${fmt(Math.ceil(ORANGE_LINES / 100))}: 100 per page, no cap)`,
  )
  console.log(`  peak RSS over the run ${peak} MiB`)
  const { total } = await call<{ total: number }>('sims:count', { filters: {} })
  started = performance.now()
  await call('sims:query', { query: { filters: { status: ['activated'] }, sort: 'ratePlan' }, limit: 100 })
  console.log(`inventory: ${fmt(total)} SIMs; one filtered, sorted page in ${((performance.now() - started) / 1000).toFixed(2)} s`)
} finally {
  await core.close()
  await cc.close()
  await orange.close()
  await rm(dir, { recursive: true, force: true })
}
