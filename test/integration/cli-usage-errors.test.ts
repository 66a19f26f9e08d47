/**
 * A command line commander refuses is said in one line that starts like every other refusal, with where to read more,
 * and exits 2 (cold trial: "error: missing required argument 'file'" and then the whole help text).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

describe('fieldline usage errors', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], { encoding: 'utf8', timeout: 60_000 })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => cleanup())

  it.each([
    [['devices', 'import'], "fieldline: missing required argument 'file' (see `fieldline devices import --help`)\n"],
    [['devices', 'add', 'pump'], "fieldline: missing required argument 'deviceId' (see `fieldline devices add --help`)\n"],
    [['devices', 'add', 'pump', 'p-1', 'extra'], "fieldline: too many arguments for 'add'. Expected 2 arguments but got 3. (see `fieldline devices add --help`)\n"],
    [['sims', 'sync', '--account'], "fieldline: option '--account <extension:profile>' argument missing (see `fieldline sims sync --help`)\n"],
    [['job', 'status', '--frobnicate'], "fieldline: unknown option '--frobnicate' (see `fieldline job status --help`)\n"],
    [['historian', 'history', 'meter', 'm-1', '--to', '2026-01-02T00:00:00Z'], "fieldline: required option '--from <iso>' not specified (see `fieldline historian history --help`)\n"],
    // An option that names something, given empty (a script's variable that came out empty), instead of read as left out.
    [['historian', 'run', '--profile='], "fieldline: option '--profile <id>' is empty (see `fieldline historian run --help`)\n"],
    [['ledger', 'run', '--platform='], "fieldline: option '--platform <profile>' is empty (see `fieldline ledger run --help`)\n"],
    [['ledger', 'submit', 'route-1', '--sample='], "fieldline: option '--sample <file>' is empty (see `fieldline ledger submit --help`)\n"],
    // Cold trial: `job create --query=` said "give exactly one of --from-csv FILE and --query Q", as if it were missing.
    [['job', 'create', '--op', 'status', '--status', 'deactivated', '--query='], "fieldline: option '--query <query>' is empty (see `fieldline job create --help`)\n"],
    [['--data-dir=', 'devices', 'count'], "fieldline: option '--data-dir <dir>' is empty (see `fieldline devices count --help`)\n"],
    [['devicez'], "fieldline: unknown command 'devicez' (Did you mean devices?) (see `fieldline --help`)\n"],
    [['devices', 'lsit'], "fieldline: unknown command 'lsit' (Did you mean list?) (see `fieldline devices --help`)\n"],
    // `help` with a name it does not know (commander printed the whole help on stderr).
    [['help', 'devicez'], "fieldline: unknown command 'devicez' (Did you mean devices?) (see `fieldline --help`)\n"],
    [['help', 'nosuch'], "fieldline: unknown command 'nosuch' (see `fieldline --help`)\n"],
    [['devices', 'help', 'lsit'], "fieldline: unknown command 'lsit' (Did you mean list?) (see `fieldline devices --help`)\n"],
    // A group without its command lists its commands (commander printed the whole help on stderr).
    [['devices'], "fieldline: missing command after 'devices': list, count, export, add, remove, import, locate, follow-locations, config (see `fieldline devices --help`)\n"],
    [['devices', 'config'], "fieldline: missing command after 'devices config': get, set (see `fieldline devices config --help`)\n"],
    [['sim', '--profile', 'lab'], "fieldline: missing command after 'sim': show, usage, status, plan, plans, sms, search (see `fieldline sim --help`)\n"],
  ])('fieldline %j says one line and exits 2', (args, line) => {
    expect(run(args)).toEqual({ code: 2, out: '', err: line })
  })

  it('says every group typed alone, and fieldline alone, in one line that lists its commands, with exit 2', async () => {
    const groups = ['', 'sim', 'orange', 'sims', 'alerts', 'dm', 'bridge', 'historian', 'mail', 'team', 'ledger', 'job', 'sync', 'trash']
    // Side by side: each is a process of its own.
    const runs = await Promise.all(groups.map((group) => runCli(join(dir, 'data'), group ? group.split(' ') : [])))
    for (const [i, group] of groups.entries()) {
      const r = runs[i]!
      expect(r, group).toMatchObject({ code: 2, out: '' })
      expect(r.err, group).toMatch(new RegExp(`^fieldline: missing command${group ? ` after '${group}'` : ''}: [a-z-]+(, [a-z-]+)* \\(see \`fieldline ${group ? `${group} ` : ''}--help\`\\)\n$`))
    }
  }, 180_000)

  it('still prints the help when asked, on stdout, with exit 0', () => {
    const r = run(['devices', 'import', '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^Usage: fieldline devices import/)
  })
})
