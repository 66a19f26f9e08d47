import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TrashEntry } from '../../src-shared/models/trash'
import { tempDir } from '../helpers/core'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

describe('fieldline trash', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], { encoding: 'utf8', input: '', timeout: 60_000 })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => cleanup())

  // Each call starts a process that opens the workspace: a dozen of them take a while on a loaded machine.
  it('lists, restores and empties the trash with the documented exit codes', () => {
    // Cold trial: an empty trash listed nothing at all; it says so on stderr, stdout stays empty for scripts.
    expect(run(['trash', 'list'])).toMatchObject({ code: 0, out: '', err: 'fieldline: the trash is empty\n' })
    expect(run(['devices', 'add', 'meter', 'c-1', '--description', 'cli meter']).code).toBe(0)
    const removed = run(['devices', 'remove', 'meter', 'c-1'])
    expect(removed.code).toBe(0)
    const trashId = /\(trash ([a-f0-9]{16})\)/.exec(removed.out)?.[1]
    expect(trashId).toBeDefined()

    const listed = run(['trash', 'list', '--json'])
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.out) as TrashEntry[]).toEqual([expect.objectContaining({ id: trashId, item: 'device', target: 'meter/c-1', label: 'cli meter' })])
    // Its purge date is to come: "kept until", not "purged" as if it were gone already.
    expect(run(['trash', 'list']).out).toMatch(new RegExp(`^${trashId}\tdevice\tmeter/c-1\t[^\t]+\t[^\t]+\tkept until \\d{4}-`))

    expect(run(['trash', 'restore', trashId!])).toMatchObject({ code: 0, out: 'restored device meter/c-1\n' })
    // Gone from the trash: a second restore fails (1); a malformed id is bad usage (2).
    expect(run(['trash', 'restore', trashId!]).code).toBe(1)
    expect(run(['trash', 'restore', 'not-an-id'])).toMatchObject({ code: 2, err: 'fieldline: "not-an-id" is not a trash entry id (16 letters a–f and digits, as `trash list` shows it)\n' })

    expect(run(['devices', 'remove', 'meter', 'c-1']).code).toBe(0)
    // Without a terminal to ask on, emptying needs --yes, and nothing is deleted meanwhile.
    const refused = run(['trash', 'empty'])
    expect(refused.code).toBe(2)
    expect(refused.err).toContain('--yes')
    expect(JSON.parse(run(['trash', 'list', '--json']).out)).toHaveLength(1)
    expect(run(['trash', 'empty', '--yes'])).toMatchObject({ code: 0, out: 'deleted 1 item for good\n' })
    expect(run(['trash', 'list', '--json']).out).toBe('[]\n')
  }, 240_000)
})
