/**
 * A full disk, for real: the data folder lives on a 4 MB tmpfs that the test fills up. Serve mode must refuse writes
 * with DISK_FULL (not "Unexpected failure"), keep reading, keep running (its own log hits the same full disk), and
 * lose nothing it acknowledged; the CLI must still list devices. Mounting needs root: where it is refused the suite
 * says so and skips (fails under FIELDLINE_STRICT=1); no fault-injecting shim stands in for LevelDB's C++ writes.
 */
import { get } from 'node:http'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'
import { fillDisk, mountSkipReason, smallDisk } from '../helpers/mounts'
import { invoke, placeholderRenderer, startServeChild } from '../helpers/serve-process'

const skip = await mountSkipReason()

/** A page asked for under a foreign Host: refused, and logged by the server. */
function foreignHost(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { host: 'evil.example' } }, (res) => {
      res.resume()
      resolve(res.statusCode)
    }).on('error', () => resolve(undefined))
  })
}

describe.skipIf(skip !== null)('a full disk', () => {
  let disk: Awaited<ReturnType<typeof smallDisk>>
  let renderer: string
  let cleanup: () => Promise<void>
  const acked: string[] = []

  beforeAll(async () => {
    disk = await smallDisk('4m')
    const t = await tempDir()
    cleanup = t.cleanup
    renderer = await placeholderRenderer(t.dir)
  })
  afterAll(async () => {
    await disk?.close()
    await cleanup?.()
  })

  it('serve mode answers writes with DISK_FULL, keeps reading and running, and loses nothing acknowledged', async () => {
    const dataDir = join(disk.dir, 'data')
    const serve = await startServeChild(dataDir, renderer)
    try {
      const ws = await serve.connect()
      let id = 1
      const add = (deviceId: string) => invoke(ws, id++, 'devices:add', { typeId: 'fill', deviceId, description: 'x'.repeat(900) })
      let refusal: Awaited<ReturnType<typeof invoke>> | undefined
      while (!refusal) {
        const deviceId = `d-${acked.length}`
        const r = await add(deviceId)
        if (r.ok) acked.push(deviceId)
        else refusal = r
        if (acked.length > 50_000) throw new Error('the 4 MB disk never filled up')
      }
      expect(refusal).toMatchObject({ ok: false, error: { code: 'DISK_FULL', details: { ref: { key: 'errors.diskFull', params: { dir: dataDir } } } } })
      // Every later write is refused the same way; none is an "unexpected failure".
      for (let i = 0; i < 5; i++) expect(await add(`late-${i}`)).toMatchObject({ error: { code: 'DISK_FULL' } })
      // Something the server logs, on a disk with no room for the log either.
      expect(await foreignHost(serve.port)).toBe(403)
      // Reads go on, and everything acknowledged is there.
      expect(await invoke(ws, id++, 'devices:list', { query: 'fill', limit: 1 })).toMatchObject({ ok: true, value: { total: acked.length } })
      expect(await invoke(ws, id++, 'devices:get', { typeId: 'fill', deviceId: acked.at(-1) })).toMatchObject({ ok: true })
      ws.close()
      expect(serve.alive(), serve.stderr()).toBe(true)
    } finally {
      expect(await serve.stop()).toBe(0)
    }
  })

  it('the CLI still lists the devices when no byte is left, from a read-only copy, and refuses changes clearly', async () => {
    expect(acked.length).toBeGreaterThan(0)
    await fillDisk(disk.dir)
    const dataDir = join(disk.dir, 'data')
    const tmp = await tempDir()
    try {
      const listed = await runCli(dataDir, ['--json', 'devices', 'list', '--query', 'fill', '--limit', '1'], { TMPDIR: tmp.dir })
      expect(listed.code, listed.err).toBe(0)
      expect((JSON.parse(listed.out) as { total: number }).total).toBe(acked.length)
      // One line for the full folder, its log file included (it said "cannot write the log file … (ENOSPC)" too).
      expect(listed.err.match(/cannot be written \(its disk is full\): showing a read-only copy; changes are refused and nothing is logged/g)).toHaveLength(1)
      expect(listed.err).not.toContain('log file')
      const add = await runCli(dataDir, ['devices', 'add', 'fill', 'one-more'], { TMPDIR: tmp.dir })
      expect(add.code).toBe(1)
      expect(add.err).toContain(`The data folder ${dataDir} cannot be written to`)
      // The copy is gone once the command is done.
      expect((await readdir(tmp.dir)).filter((name) => name.startsWith('fieldline-'))).toEqual([])
    } finally {
      await tmp.cleanup()
    }
  })
})

// Skipped, with the reason mountSkipReason gives, where this process cannot mount a small tmpfs (not root); a failure
// under FIELDLINE_STRICT=1, which .ci/run sets (it runs as root there).
describe.skipIf(skip !== null)('an import that fills the disk', () => {
  it('says how many devices its batches added before the disk filled, in words and in --json (it said only "the change was not saved")', async () => {
    const disk = await smallDisk('16m')
    const t = await tempDir()
    try {
      const file = join(t.dir, 'many.csv')
      await writeFile(file, ['typeId,deviceId,description', ...Array.from({ length: 100_000 }, (_, i) => `fill,f-${i},row ${i}`), ''].join('\n'))
      const dataDir = join(disk.dir, 'data')
      const run = await runCli(dataDir, ['--json', 'devices', 'import', file], { TMPDIR: t.dir })
      expect(run.code, run.err).toBe(1)
      expect(run.err).toContain('is full')
      const stopped = JSON.parse(run.out) as { added: number; stopped: string }
      expect(stopped.stopped).toContain('is full')
      expect(stopped.added).toBeGreaterThan(0)
      expect(stopped.added % 5000).toBe(0)
      expect(run.err).toContain(`the ${stopped.added.toLocaleString('en-US')} devices added before it stay; once there is room, import the same file again`)
      const counted = await runCli(dataDir, ['devices', 'count'], { TMPDIR: t.dir })
      expect(counted.out).toBe(`${stopped.added.toLocaleString('en-US')}\n`)
    } finally {
      await disk.close()
      await t.cleanup()
    }
  }, 120_000)
})
