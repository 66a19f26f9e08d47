/**
 * Benchmark (not a test): a bulk status-change job of TARGETS SIMs (default 10,000) through the real core against the
 * Control Center peer enforcing 50 requests/s with one in flight, 5 % of the targets meeting an injected 429 or 503.
 * Prints achieved / limit, lost and duplicated changes (counted on the peer), the journal's write time per target, and
 * the process's RSS during the run. The peer runs in a process of its own (cc-peer-child.ts), as the service would. The SIMs' current status is put in the cache from the account's listing first
 * (Search Devices, 50 a page), so pre-flight reads no SIM one by one. Run with `npm run bench -- sim-jobs`
 * (`TARGETS=2000` for a shorter run; `FAULTS=0` without injected faults).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCore } from '../../src-main/core/app'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import { writeSimCache } from '../../src-main/core/store/cache.store'
import type { Sim } from '../../src-main/core/carriers/sim-model'
import { loadavg } from 'node:os'
import { startPeerProcess } from './cc-peer-process'
import { fmt } from './bench-kit'

const TARGETS = Number(process.env.TARGETS ?? 10_000)
const LIMIT = 50
/** Share of targets meeting an injected 429 or 503 (FAULTS=0 shows the job's own overhead against the limit). */
const FAULT_RATE = Number(process.env.FAULTS ?? 0.05)
const API_KEY = 'bench-api-key'

let seed = 7
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }

const peer = await startPeerProcess({ devices: TARGETS, users: [{ username: 'ops', apiKey: API_KEY, role: 'AccountAdmin' }] })
const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-jobs-'))
const core = await createCore({ dataDir: dir, mode: 'cli', vault: createMemoryStore(), logger: silent })
const call = async <T>(channel: string, input: unknown): Promise<T> => {
  const r = await core.dispatcher.invoke(channel, input, { actor: 'bench' })
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value as T
}
try {
  const profile = await call<{ id: string }>('profiles:save', {
    extension: 'jasper',
    name: 'Bench',
    settings: { baseUrl: peer.url, username: 'ops', concurrency: 1, perSecond: LIMIT },
    secrets: { apiKey: API_KEY },
  })
  const client = await core.clients.forProfile(await core.profiles.resolve('jasper', profile.id))
  const { db } = core.workspace
  const status = new Map<string, string>()
  let listed = 0
  const listStarted = performance.now()
  for await (const page of client.searchDevices({ modifiedSince: '2000-01-01T00:00:00+00:00' })) {
    for (const d of page.devices) {
      status.set(d.iccid, d.status)
      await writeSimCache(db, { ...d, fetchedAt: new Date().toISOString() } as unknown as Sim)
      listed++
    }
  }
  console.log(`listing: ${fmt(listed)} SIMs cached in ${((performance.now() - listStarted) / 1000).toFixed(1)} s`)

  // Every SIM to a status other than its own (a Retired one is refused by pre-flight, as it should be).
  const csv = ['iccid,status', ...peer.iccids.map((i) => `${i},${status.get(i) === 'activated' ? 'deactivated' : 'activated'}`)].join('\n')
  const job = await call<{ id: string }>('jobs:create', { operation: 'status', source: { kind: 'csv', text: csv }, params: {} })
  const checkStarted = performance.now()
  const checked = await call<{ counts: { pending: number; skipped: number }; estimateSeconds: number }>('jobs:preflight', { jobId: job.id })
  console.log(
    `pre-flight: ${fmt(TARGETS)} rows in ${((performance.now() - checkStarted) / 1000).toFixed(1)} s; ${fmt(checked.counts.pending)} to send, ${fmt(checked.counts.skipped)} skipped; estimate ${checked.estimateSeconds.toFixed(0)} s`,
  )

  let injected = 0
  for (const iccid of peer.iccids) {
    if (random() < FAULT_RATE) {
      injected++
      peer.setFault({ kind: 'status', status: random() < 0.5 ? 429 : 503, times: 1, method: 'PUT', path: new RegExp(`${iccid}$`) })
    }
  }
  peer.setRateLimit({ perSecond: LIMIT, concurrent: 1 })
  // The statistics' answer comes after the faults and the limit (one ordered channel): all are in place before the run.

  // The journal's cost: time spent in the workspace's bulk writes while the job runs.
  let writeMs = 0
  let writes = 0
  const bulkDocs = db.bulkDocs.bind(db)
  db.bulkDocs = (async (...args: Parameters<typeof db.bulkDocs>) => {
    const t = performance.now()
    try {
      return await bulkDocs(...args)
    } finally {
      writeMs += performance.now() - t
      writes++
    }
  }) as typeof db.bulkDocs

  const rss: number[] = []
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss / 2 ** 20), 1000)
  const before = await peer.stats()
  const loadStart = loadavg()[0]!
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await call('jobs:run', { jobId: job.id })
  await core.jobs.settled(job.id)
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const cpu = process.cpuUsage(cpuBefore)
  const after = await peer.stats()

  const final = await call<{ state: string; counts: Record<string, number> }>('jobs:status', { jobId: job.id })
  const rows: { id: string; state: string }[] = []
  for (let offset = 0; ; offset += 1000) {
    const page = await call<{ total: number; items: { id: string; state: string }[] }>('jobs:rows', { jobId: job.id, offset, limit: 1000 })
    rows.push(...page.items)
    if (rows.length >= page.total) break
  }
  const perIccid = new Map<string, number>()
  for (const c of after.statusChanges.slice(before.statusChanges.length)) perIccid.set(c.iccid, (perIccid.get(c.iccid) ?? 0) + 1)
  const toSend = rows.filter((r) => r.state !== 'skipped')
  const lost = toSend.filter((r) => !perIccid.has(r.id)).length
  const duplicated = [...perIccid.values()].filter((n) => n > 1).length
  const requests = (after.byRoute['PUT /devices/{iccid}'] ?? 0) - (before.byRoute['PUT /devices/{iccid}'] ?? 0)
  const refused = after.rateLimited - before.rateLimited
  const changes = toSend.length - lost
  console.log(`run: ${fmt(toSend.length)} changes in ${seconds.toFixed(1)} s, job ${final.state} (${JSON.stringify(final.counts)})`)
  console.log(`PUT requests at the peer: ${fmt(requests)} (${injected} faults injected, ${refused} refused by its own limit)`)
  // achieved / limit: status changes completed per second of the job's wall time, over the limit. The peer counts in
  // its window of a second every request it lets through its limit, the ones it then answers with an injected 429 or
  // 503 included (the fault comes after the limit, as a refusal behind the service's own cap would); a request it
  // refused for going over its limit takes no room. So at most changes / (changes + faults answered) of the limit can
  // be changes: that ceiling is printed beside the figure, and the requests it took per second over the limit show
  // how much of its room the job used.
  const accepted = requests - refused
  const ceiling = changes / accepted
  console.log(
    `achieved / limit ${(changes / seconds / LIMIT).toFixed(3)} (${(changes / seconds).toFixed(1)} changes/s against ${LIMIT}/s; ceiling with ${fmt(accepted - changes)} fault answers in the peer's window ${ceiling.toFixed(3)}, so ${(changes / seconds / LIMIT / ceiling).toFixed(3)} of what the limit allows); requests the peer took ${(accepted / seconds / LIMIT).toFixed(3)} of the limit`,
  )
  console.log(`lost ${lost}, duplicated ${duplicated}`)
  console.log(`journal: ${writes} bulk writes, ${writeMs.toFixed(0)} ms in all, ${(writeMs / toSend.length).toFixed(2)} ms per target`)
  console.log(
    `load average (1 min) at the start ${loadStart.toFixed(1)}, at the end ${loadavg()[0]!.toFixed(1)}; the core's process used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU in ${seconds.toFixed(1)} s (${((cpu.user + cpu.system) / 1e3 / toSend.length).toFixed(2)} ms per target, ${((cpu.user + cpu.system) / 1e3 / requests).toFixed(2)} ms per request)`,
  )
  console.log(`RSS during the run: first ${rss[0]?.toFixed(0) ?? '?'} MiB, max ${Math.max(...rss).toFixed(0)} MiB, last ${rss.at(-1)?.toFixed(0) ?? '?'} MiB (${rss.length} samples)`)
} finally {
  await core.close()
  await peer.close()
  await rm(dir, { recursive: true, force: true })
}
