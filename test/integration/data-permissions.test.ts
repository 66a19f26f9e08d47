/**
 * Everything Fieldline writes is the operator's alone: folders 0700, files 0600 (POSIX modes; on Windows the data
 * folder sits in the user's private profile and modes do not apply).
 */
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { runMigrations } from '../../src-main/core/store/migrations'
import type { Migration } from '../../src-main/core/store/schema'
import { runCli } from '../helpers/cli-process'
import { tempDir, testCore } from '../helpers/core'

/** Every path below `root` whose mode is not private, with its mode. */
async function notPrivate(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      const mode = (await stat(path)).mode & 0o777
      const wanted = entry.isDirectory() ? 0o700 : 0o600
      if (mode !== wanted) out.push(`${path.slice(root.length)} ${mode.toString(8)}`)
      if (entry.isDirectory()) await walk(path)
    }
  }
  const rootMode = (await stat(root)).mode & 0o777
  if (rootMode !== 0o700) out.push(`/ ${rootMode.toString(8)}`)
  await walk(root)
  return out
}

describe.skipIf(process.platform === 'win32')('data folder permissions', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('the CLI creates the data folder, workspace and logs as 0700 folders of 0600 files', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const dataDir = join(t.dir, 'data')
    expect((await runCli(dataDir, ['devices', 'add', 'meter', 'm-1'])).code).toBe(0)
    const csv = join(t.dir, 'in.csv')
    await writeFile(csv, 'typeId,deviceId\nmeter,m-2\nmeter,m-3\n')
    expect((await runCli(dataDir, ['devices', 'import', csv])).code).toBe(0)
    expect(await stat(join(dataDir, 'logs', 'fieldline.log'))).toBeTruthy()
    expect(await notPrivate(dataDir)).toEqual([])
  })

  it('tightens a data folder an earlier version created readable by others', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const dataDir = join(t.dir, 'data')
    // This process creates files readable by others (umask 022), as Fieldline did before.
    const old = await testCore(dataDir)
    await old.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    await old.close()
    await mkdir(join(dataDir, 'logs'), { mode: 0o755 })
    await writeFile(join(dataDir, 'logs', 'fieldline.log'), '', { mode: 0o644 })
    for (const folder of ['', 'workspace', 'logs']) await chmod(join(dataDir, folder), 0o755)
    expect((await notPrivate(dataDir)).length).toBeGreaterThan(3)
    expect((await runCli(dataDir, ['devices', 'list'])).code).toBe(0)
    expect(await notPrivate(dataDir)).toEqual([])
  })

  it('the core makes its folders private even where the process lets files be read by others', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const dataDir = join(t.dir, 'data')
    const core = await testCore(dataDir)
    await core.close()
    for (const folder of ['', 'workspace']) expect((await stat(join(dataDir, folder))).mode & 0o777, folder || 'data').toBe(0o700)
    // Backups made before a migration, too.
    const bump: Migration = { kind: 'device', from: 1, to: 2, up: (doc) => doc }
    const seeded = await testCore(dataDir)
    await seeded.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    await seeded.close()
    const ws = await openWorkspace(dataDir)
    try {
      await runMigrations(ws.db, [bump], { backupDir: join(dataDir, 'backups') })
    } finally {
      await ws.close()
    }
    expect((await stat(join(dataDir, 'backups'))).mode & 0o777).toBe(0o700)
  })
})
