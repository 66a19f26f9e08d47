/**
 * A data folder that cannot be written (a read-only mount: what a locked-down gateway or a full-disk remount gives):
 * the CLI and serve mode still show what it holds and refuse changes with a clear, translated error. Mounting needs
 * root: where it is refused the suite says so and skips (fails under FIELDLINE_STRICT=1).
 */
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'
import { mountSkipReason, readOnlyView } from '../helpers/mounts'
import { invoke, placeholderRenderer, startServeChild } from '../helpers/serve-process'

const skip = await mountSkipReason()

describe.skipIf(skip !== null)('a read-only data folder', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let view: Awaited<ReturnType<typeof readOnlyView>>
  let dataDir: string

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    const writable = join(dir, 'data')
    for (const id of ['a', 'b', 'c']) expect((await runCli(writable, ['devices', 'add', 'meter', id])).code).toBe(0)
    view = await readOnlyView(writable)
    dataDir = view.dir
  })
  afterAll(async () => {
    await view?.close()
    await cleanup?.()
  })

  it('the CLI lists devices and refuses changes with a clear error, leaving no copy behind', async () => {
    const tmp = join(dir, 'tmp')
    await mkdir(tmp)
    const listed = await runCli(dataDir, ['--json', 'devices', 'list'], { TMPDIR: tmp })
    expect(listed.code, listed.err).toBe(0)
    expect((JSON.parse(listed.out) as { items: { deviceId: string }[] }).items.map((d) => d.deviceId)).toEqual(['a', 'b', 'c'])
    // One line for the one problem: the log file in that folder is not said again (cold trial: "cannot write the log file … (EROFS)" first).
    expect(listed.err).toBe(`fieldline: ${dataDir} cannot be written (it is read-only): showing a read-only copy; changes are refused and nothing is logged\n`)
    const add = await runCli(dataDir, ['devices', 'add', 'meter', 'd'], { TMPDIR: tmp })
    expect(add.code).toBe(1)
    expect(add.err).toContain(`The data folder ${dataDir} cannot be written to`)
    expect((await readdir(tmp)).filter((name) => name.startsWith('fieldline-'))).toEqual([])
  })

  it('serve mode starts, shows the devices, and refuses changes with a translated error', async () => {
    const serve = await startServeChild(dataDir, await placeholderRenderer(dir))
    try {
      const ws = await serve.connect()
      expect(await invoke(ws, 1, 'devices:list', {})).toMatchObject({ ok: true, value: { total: 3 } })
      expect(await invoke(ws, 2, 'devices:add', { typeId: 'meter', deviceId: 'd' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN', details: { ref: { key: 'errors.readOnlyData', params: { dir: dataDir } } } },
      })
      expect(await invoke(ws, 3, 'settings:set', { theme: 'dark' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
      ws.close()
      expect(serve.alive(), serve.stderr()).toBe(true)
      // The log cannot be written either: said with the folder, once, not a crash.
      expect(serve.stderr().match(/cannot be written \(it is read-only\): showing a read-only copy; changes are refused and nothing is logged/g)).toHaveLength(1)
      expect(serve.stderr()).not.toContain('cannot write the log file')
    } finally {
      expect(await serve.stop()).toBe(0)
    }
  })
})
