/**
 * Benchmark (not a test; prints figures, asserts nothing): what hostile and very large import files cost.
 *
 * - A 200 MB JSON line (the issue measured 52 s and 2.4 GB before the per-line limit) and a 200 MB CSV record (an
 *   unclosed quote): time to the refusal and the importing process's peak RSS.
 * - Import speed: 100,000 devices through the dispatcher, in chunks, as `fieldline devices import` sends them.
 * - Scale: an import of IMPORT_SCALE_ROWS devices (default 1,000,000), then a fresh process that opens the workspace
 *   and lists 2 devices, as `fieldline devices list --limit 2` does: time and peak RSS of each.
 *
 * Each measurement runs in a child process of its own, so that its peak RSS is its own.
 *
 *   node --import tsx test/bench/import-limits.bench.ts     (or: npm run bench -- import-limits)
 *   LONG_LINE_MB=200          size of the long line and of the long record
 *   IMPORT_SPEED_ROWS=100000  rows of the speed run
 *   IMPORT_SCALE_ROWS=1000000 rows of the scale run (0 skips it)
 */
import { spawnSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { open, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const LONG_MB = Number(process.env.LONG_LINE_MB ?? 200)
const SPEED_ROWS = Number(process.env.IMPORT_SPEED_ROWS ?? 100_000)
const SCALE_ROWS = Number(process.env.IMPORT_SCALE_ROWS ?? 1_000_000)
const CHUNK = 768 * 1024

interface Measure {
  ms: number
  maxRssMb: number
  detail: string
}

/** In the child: imports FILE into DATA_DIR through the dispatcher, or opens DATA_DIR and lists 2 devices. */
async function child(mode: string, dataDir: string, file?: string): Promise<void> {
  const { createCore } = await import('../../src-main/core/app')
  const { createMemoryStore } = await import('../../src-main/core/vault/memory.store')
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
  const t0 = performance.now()
  const core = await createCore({ dataDir, mode: 'cli', vault: createMemoryStore(), logger: silent })
  const call = async (channel: string, input: unknown) => {
    const r = await core.dispatcher.invoke(channel, input)
    return r
  }
  let detail: string
  if (mode === 'list') {
    const r = await call('devices:list', { limit: 2 })
    detail = r.ok ? `total ${(r.value as { total: number }).total}` : `error ${r.error.code}`
  } else {
    const start = await call('import:start', { fileName: file!.split('/').pop() })
    if (!start.ok) throw new Error(start.error.message)
    const { jobId } = start.value as { jobId: string }
    const handle = await open(file!)
    const buffer = Buffer.alloc(CHUNK)
    let refused: string | null = null
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK)
      if (bytesRead === 0) break
      const r = await call('import:chunk', { jobId, data: buffer.subarray(0, bytesRead).toString('base64') })
      if (!r.ok) {
        refused = r.error.message
        break
      }
    }
    await handle.close()
    if (refused) detail = `refused: ${refused.slice(0, 120)}`
    else {
      const r = await call('import:finish', { jobId })
      const report = r.ok ? (r.value as { rows: number; added: number; failed: number; errors: { message: string }[] }) : null
      detail = report
        ? `${report.added} added, ${report.failed} refused of ${report.rows} rows${report.errors[0] ? ` (first: ${report.errors[0].message.slice(0, 100)})` : ''}`
        : `error ${r.ok ? '' : r.error.message}`
    }
  }
  const ms = performance.now() - t0
  await core.close()
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, detail })}\n`)
}

function measure(mode: string, dataDir: string, file?: string): Measure {
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, mode, dataDir, ...(file ? [file] : [])], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure
}

async function writeFileOf(path: string, parts: () => Generator<string>): Promise<void> {
  const out = createWriteStream(path)
  for (const part of parts()) if (!out.write(part)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
}

function* repeated(text: string, bytes: number): Generator<string> {
  const block = text.repeat(Math.ceil((1024 * 1024) / text.length))
  for (let written = 0; written < bytes; written += block.length) yield block
}

const show = (label: string, m: Measure) => console.log(`${label}: ${(m.ms / 1000).toFixed(2)} s, peak RSS ${m.maxRssMb.toFixed(0)} MB — ${m.detail}`)

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldline-bench-import-'))
  try {
    const longJson = join(dir, 'long.jsonl')
    await writeFileOf(longJson, function* () {
      yield '{"typeId":"t","deviceId":"before"}\n{"typeId":"t","deviceId":"long","description":"'
      yield* repeated('x', LONG_MB * 1024 * 1024)
      yield '"}\n{"typeId":"t","deviceId":"after"}\n'
    })
    show(`JSON Lines with one ${LONG_MB} MB line`, measure('import', join(dir, 'd1'), longJson))

    const longCsv = join(dir, 'long.csv')
    await writeFileOf(longCsv, function* () {
      yield 'typeId,deviceId,description\nmeter,a,ok\nmeter,b,"'
      yield* repeated('y', LONG_MB * 1024 * 1024)
      yield '\nmeter,c,never\n'
    })
    show(`CSV with one ${LONG_MB} MB record (unclosed quote)`, measure('import', join(dir, 'd2'), longCsv))

    const rows = (n: number) =>
      function* () {
        yield 'typeId,deviceId,description\n'
        const types = ['meter', 'gateway', 'sensor', 'valve', 'pump']
        for (let i = 0; i < n; i++) yield `${types[i % types.length]},dev-${String(i).padStart(7, '0')},Site ${i % 997} feeder ${i % 31}\n`
      }
    const speedCsv = join(dir, 'speed.csv')
    await writeFileOf(speedCsv, rows(SPEED_ROWS))
    const speed = measure('import', join(dir, 'd3'), speedCsv)
    show(`import of ${SPEED_ROWS.toLocaleString('en-US')} devices (${Math.round(SPEED_ROWS / (speed.ms / 1000)).toLocaleString('en-US')} devices/s, workspace open included)`, speed)

    if (SCALE_ROWS > 0) {
      const scaleCsv = join(dir, 'scale.csv')
      await writeFileOf(scaleCsv, rows(SCALE_ROWS))
      const scaleDir = join(dir, 'd4')
      const imported = measure('import', scaleDir, scaleCsv)
      show(`import of ${SCALE_ROWS.toLocaleString('en-US')} devices (${Math.round(SCALE_ROWS / (imported.ms / 1000)).toLocaleString('en-US')} devices/s)`, imported)
      show(`then open + devices:list --limit 2 in a new process`, measure('list', scaleDir))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const [mode, dataDir, file] = process.argv.slice(2)
if (mode && dataDir) await child(mode, dataDir, file)
else await main()
