import { spawn, spawnSync } from 'node:child_process'
import { cp, realpath, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { tempDir, testCore } from '../helpers/core'
import { osActor } from '../../src-main/core/common/os-actor'
import type { BaseDoc } from '../../src-main/core/store/documents'
import { CURRENT_SCHEMA } from '../../src-main/core/store/schema'
import { openWorkspace } from '../../src-main/core/store/workspace'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

describe('fieldline CLI', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const runIn = (data: string, args: string[], stdin?: string | Buffer) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, data), ...args], { encoding: 'utf8', input: stdin ?? '', timeout: 60_000 })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }
  const run = (args: string[], stdin?: string | Buffer) => runIn('data', args, stdin)

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => cleanup())

  it('prints its version and refuses bad usage with exit 2', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
    expect(run(['--frobnicate']).code).toBe(2)
    expect(run(['devices', 'add', 'only-type']).code).toBe(2)
  })

  it('says why a file it was given cannot be read in words, not as ENOENT (cold trial: devices import of a mistyped name)', () => {
    const missing = join(dir, 'nope.csv')
    expect(run(['devices', 'import', missing])).toMatchObject({ code: 2, err: `fieldline: cannot read ${missing}: no such file\n` })
    expect(run(['devices', 'config', 'set', 'meter', 'm-1', dir])).toMatchObject({ code: 2, err: `fieldline: cannot read ${dir}: it is a folder\n` })
  })

  it('refuses a position out of range by its option and range, changing nothing (cold trial: "Invalid input for devices:setLocation")', () => {
    expect(run(['devices', 'add', 'pump', 'p-range']).code).toBe(0)
    expect(run(['devices', 'locate', 'pump', 'p-range', '--lat', '91', '--lon', '2'])).toMatchObject({ code: 2, err: 'fieldline: --lat 91 is outside −90 to 90\n' })
    expect(run(['devices', 'locate', 'pump', 'p-range', '--lat', '45', '--lon', '2', '--accuracy', '-1'])).toMatchObject({
      code: 2,
      err: 'fieldline: --accuracy -1 is outside 0 to 40075000 metres\n',
    })
    // Cold trial: a day that does not exist was said to be "not ISO 8601" though the text was.
    expect(run(['devices', 'locate', 'pump', 'p-range', '--lat', '45', '--lon', '2', '--measured-at', '2026-02-31T10:00:00Z'])).toMatchObject({
      code: 2,
      err: 'fieldline: --measured-at "2026-02-31T10:00:00Z" is not a date and time that exists: February 2026 has no day 31 (it has 28)\n',
    })
    expect(run(['devices', 'locate', 'pump', 'p-range', '--clear']).out).toBe('pump/p-range had no location\n')
    // The workspace is the file's: the device list test after this one reads it whole.
    expect(run(['devices', 'remove', 'pump', 'p-range']).code).toBe(0)
  })

  it('names the argument or option a value was refused for, and what it takes, in plain words (cold trial: "Invalid input for devices:add: description: Too big: expected string to have <=1000 characters")', () => {
    const refusals = [
      run(['devices', 'add', 'bad type!', 'x']),
      run(['devices', 'add', 'meter', 'd-long', '--description', 'd'.repeat(3000)]),
      // The field is jobId, the argument the operator typed <id>; one line for a field refused twice (length and form).
      run(['job', 'status', 'nope!']),
      run(['job', 'cancel', 'j'.repeat(300)]),
      run(['sims', 'save-search', 'loose', '--name', 'n'.repeat(300)]),
      // A rule's bound (condition.bytes), checked by alerts add against the rule's range before the core is asked.
      run(['alerts', 'add', 'big', '--kind', 'dataAbove', '--name', 'Big', '--bytes', '0']),
    ]
    expect(refusals).toMatchObject([
      { code: 2, out: '', err: "fieldline: <typeId> must be 1–36 letters, digits, '-', '_' or '.'\n" },
      { code: 2, out: '', err: 'fieldline: --description is too long: 3,000 characters, at most 1,000\n' },
      // The job commands check their id before the core does (job.ts jobIdArgument), in their own words.
      { code: 2, out: '', err: 'fieldline: "nope!" is not a job id (j followed by letters and digits, as `job create` printed it)\n' },
      { code: 2, out: '', err: `fieldline: "${'j'.repeat(40)}" is not a job id (j followed by letters and digits, as \`job create\` printed it)\n` },
      { code: 2, out: '', err: 'fieldline: --name is too long: 300 characters, at most 200\n' },
      { code: 2, out: '', err: 'fieldline: --bytes takes a whole number from 1 to 1,000,000,000,000,000 (got "0")\n' },
    ])
    expect(JSON.parse(run(['--json', 'devices', 'list']).out).items).not.toContainEqual(expect.objectContaining({ deviceId: 'd-long' }))
  })

  it('warns of an import the last run did not end with its counts as a finished import says them, an earlier build’s record without a split it lacks', async () => {
    // What a killed process left in the workspace (import.service.ts writes it with each batch).
    const ws = await openWorkspace(join(dir, 'cut'))
    const running = {
      split: { fileName: 'fleet.csv', actor: 'op', startedAt: '2026-12-06T01:30:00.000Z', rows: 10_001, added: 4_999, failed: 5_002, existing: 5_000 },
      older: { fileName: 'old.csv', actor: 'op', startedAt: '2026-12-01T08:00:00.000Z', rows: 12, added: 5, failed: 7 },
    }
    await ws.db.put({ _id: '_local/imports', kind: 'imports', schemaVersion: CURRENT_SCHEMA.imports, running } as BaseDoc)
    await ws.close()
    const { code, err } = runIn('cut', ['devices', 'count'])
    expect(code).toBe(0)
    const cut = (file: string, at: string, counts: string) => `fieldline: the import of ${file} started ${at} was cut short when Fieldline stopped: ${counts}; the rest of the file was not imported.`
    expect(err).toContain(cut('fleet.csv', running.split.startedAt, '4,999 added, 5,000 already there, 2 refused, 10,001 rows read'))
    expect(err).toContain(cut('old.csv', running.older.startedAt, '5 added, 7 refused or already there, 12 rows read'))
  })

  it('counts the devices a file names that are already there apart from refused rows, exiting 0 for those alone, and groups its counts', async () => {
    const file = join(dir, 'many.csv')
    const rows = Array.from({ length: 1200 }, (_, i) => `meter,m-${i}`)
    await writeFile(file, ['typeId,deviceId', ...rows].join('\n'))
    expect(runIn('again', ['devices', 'import', file])).toMatchObject({ code: 0, out: '1,200 added, 0 already there, 0 refused, 1,200 rows read\n' })
    // The same file again (an interrupted import finished): nothing refused, nothing to fix, no error lines.
    const again = runIn('again', ['devices', 'import', file])
    expect(again).toMatchObject({ code: 0, out: '0 added, 1,200 already there, 0 refused, 1,200 rows read\n' })
    expect(again.err).not.toMatch(/error|already exists/)
    // A row to fix among them: exit 2, and only that row listed.
    await writeFile(file, ['typeId,deviceId', ...rows, 'meter,m-new', 'meter,bad id'].join('\n'))
    const mixed = runIn('again', ['devices', 'import', file])
    expect(mixed).toMatchObject({ code: 2, out: '1 added, 1,200 already there, 1 refused, 1,202 rows read\n' })
    expect(mixed.err).toContain(`${file}:1203: error: `)
    expect(mixed.err).not.toContain('already exists')
    // Machine output keeps bare numbers: `failed` counts every row not added, `existing` those already there.
    expect(JSON.parse(runIn('again', ['--json', 'devices', 'import', file]).out)).toMatchObject({ rows: 1202, added: 0, failed: 1202, existing: 1201 })
    expect(runIn('again', ['devices', 'count']).out).toBe('1,201\n')
    expect(runIn('again', ['devices', 'count', '--by', 'carrier']).out).toBe('1,201\nnone\t1,201\n')
    expect(JSON.parse(runIn('again', ['--json', 'devices', 'count']).out)).toMatchObject({ total: 1201 })
    const listed = runIn('again', ['devices', 'list', '--format', 'csv'])
    // The offset stays bare: it is typed back as --offset.
    expect(listed.err).toBe('1,000 shown of 1,201 (the next with --offset 1000; every device: devices export FILE)\n')
    // The header, 1,000 rows and the last line break.
    expect(listed.out.split('\n')).toHaveLength(1002)
    expect(runIn('again', ['devices', 'export', join(dir, 'all.csv')]).out).toBe(`exported 1,201 devices to ${join(dir, 'all.csv')}\n`)
    expect(JSON.parse(runIn('again', ['--json', 'devices', 'export', join(dir, 'all.jsonl')]).out)).toEqual({ file: join(dir, 'all.jsonl'), rows: 1201 })
  })

  it('refuses a --keep for sync resolve that is neither a side nor a revision with exit 2, before looking the document up', () => {
    const both = run(['sync', 'resolve', 'device:meter:m-9', '--keep', 'both'])
    expect(both.code).toBe(2)
    expect(both.err).toBe(`fieldline: --keep takes mine, theirs or a revision from 'sync conflicts', such as 2-9f1c… (got "both")\n`)
    // A well-formed revision of a document without a conflict is input that did not work out: exit 1, as before.
    expect(run(['sync', 'resolve', 'device:meter:m-9', '--keep', '2-abc123'])).toMatchObject({ code: 1, err: expect.stringMatching(/no conflict to resolve/) })
  })

  it('adds, lists (text and --json), and removes devices with the documented exit codes', () => {
    expect(run(['devices', 'add', 'meter', 'm-1', '--description', 'North'])).toMatchObject({ code: 0, out: 'added meter/m-1\n' })
    const dup = run(['devices', 'add', 'meter', 'm-1'])
    expect(dup.code).toBe(2)
    expect(dup.err).toContain('already exists')
    expect(run(['devices', 'add', 'meter', 'bad id']).code).toBe(2)
    expect(run(['devices', 'list']).out).toBe('meter\tm-1\tNorth\n')
    expect(JSON.parse(run(['--json', 'devices', 'list']).out)).toEqual({ total: 1, items: [{ typeId: 'meter', deviceId: 'm-1', description: 'North', extensions: [] }] })
    expect(run(['devices', 'remove', 'meter', 'nope']).code).toBe(1)
    expect(run(['devices', 'remove', 'meter', 'm-1']).code).toBe(0)
    expect(JSON.parse(run(['--json', 'devices', 'list']).out).total).toBe(0)
  })

  it('says a data folder another Fieldline holds open is in use, and exits 1 without touching it', async () => {
    const held = await testCore(join(dir, 'held'))
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'held'), 'devices', 'list'], { encoding: 'utf8', timeout: 60_000 })
      expect(r.status).toBe(1)
      expect(r.stderr).toBe(
        `fieldline: The data folder ${join(dir, 'held')} is in use by another Fieldline (the desktop app, serve mode or a command still running): close it, or give this one another --data-dir. A job run in progress pauses with Ctrl-C in its own terminal\n`,
      )
      expect(await held.call('devices:list', {})).toMatchObject({ total: 0 })
    } finally {
      await held.close()
    }
  })

  it('says once that a data folder is a copy of one still in its place, and nothing for the original', async () => {
    expect(run(['devices', 'add', 'pump', 'p-copied']).code).toBe(0)
    await cp(join(dir, 'data'), join(dir, 'data-copy'), { recursive: true })
    const copy = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data-copy'), ...args], { encoding: 'utf8', timeout: 60_000 })
    const first = copy(['devices', 'count'])
    expect(first.status).toBe(0)
    expect(first.stderr).toBe(
      `fieldline: ${join(dir, 'data-copy')} is a copy of ${await realpath(join(dir, 'data'))}, which is still there: this copy is now a workspace of its own, with its own copies of the secrets; a secret changed in one no longer changes the other\n`,
    )
    expect(copy(['devices', 'count'])).toMatchObject({ status: 0, stderr: '' })
    expect(run(['devices', 'count'])).toMatchObject({ code: 0, err: '' })
  })

  it('imports a file and reports refused rows with file:line on stderr', async () => {
    const file = join(dir, 'in.csv')
    await writeFile(file, 'typeId,deviceId,carrier,iccid\nmeter,a,jasper,8988216716970004973\nmeter,b,jasper,8.98822E+18\n')
    const r = run(['devices', 'import', file])
    expect(r.code).toBe(2)
    expect(r.out).toContain('1 added, 0 already there, 1 refused, 2 rows read')
    expect(r.err).toContain(`${file}:3: error: ICCID "8.98822E+18" was turned into a number by a spreadsheet`)
    expect(run(['devices', 'import', join(dir, 'missing.csv')]).code).toBe(2)
    // Stopped part way by a record it cannot read past: what stays is said, and given to a script with --json.
    const long = join(dir, 'long.csv')
    await writeFile(long, `typeId,deviceId\nmeter,s-1\nmeter,s-2\nmeter,s-3,"${'B'.repeat(1_100_000)}\nmeter,s-4\n`)
    const stopped = run(['devices', 'import', long])
    expect(stopped.code).toBe(2)
    expect(stopped.err).toContain('Line 4: a CSV record is longer than')
    expect(stopped.err).toContain('fieldline: the 2 devices added before it stay')
    const again = run(['--json', 'devices', 'import', long])
    expect(again.code).toBe(2)
    expect(JSON.parse(again.out)).toMatchObject({ rows: 2, added: 0, failed: 2, stopped: expect.stringContaining('Line 4') })
  })

  it('gets and sets extension configuration, refusing invalid JSON with line and column', async () => {
    const bad = join(dir, 'bad.json')
    await writeFile(bad, '{\n  "jasper": {"iccid": "898821671697000497"}\n}\n')
    const refused = run(['devices', 'config', 'set', 'meter', 'a', bad])
    expect(refused.code).toBe(2)
    expect(refused.err).toContain(`${bad}:2:23: error: The ICCID must be 19 or 20 digits`)
    const ok = run(['devices', 'config', 'set', 'meter', 'a', '-'], '{"atnt": {"iccid": "89011704252316180048"}}')
    expect(ok.code).toBe(0)
    expect(JSON.parse(run(['devices', 'config', 'get', 'meter', 'a']).out)).toEqual({ atnt: { iccid: '89011704252316180048' } })
  })

  // Cold trial: a configuration saved by Notepad as "Unicode" (UTF-16 with its byte-order mark) was "JSON syntax error at 1:1".
  it('reads a configuration file in UTF-8 with a byte-order mark and in UTF-16 of either byte order, refuses UTF-32 by name and bytes that are not UTF-8 where they are', async () => {
    expect(run(['devices', 'add', 'meter', 'enc']).code).toBe(0)
    const config = (iccid: string) => `{\n  "jasper": {"iccid": "${iccid}"}\n}\n`
    const saved = () => JSON.parse(run(['devices', 'config', 'get', 'meter', 'enc']).out) as unknown
    const utf8 = join(dir, 'bom-utf8.json')
    await writeFile(utf8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(config('89011704252316180055'))]))
    expect(run(['devices', 'config', 'set', 'meter', 'enc', utf8])).toMatchObject({ code: 0, err: '' })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180055' } })
    const le = join(dir, 'utf16le.json')
    await writeFile(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(config('89011704252316180063'), 'utf16le')]))
    expect(run(['devices', 'config', 'set', 'meter', 'enc', le])).toMatchObject({ code: 0, err: '' })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180063' } })
    // Big-endian: the little-endian bytes swapped pairwise, after FE FF.
    const be = join(dir, 'utf16be.json')
    await writeFile(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(config('89011704252316180071'), 'utf16le').swap16()]))
    expect(run(['devices', 'config', 'set', 'meter', 'enc', be])).toMatchObject({ code: 0, err: '' })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180071' } })
    // Standard input is decoded alike.
    const piped = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(config('89011704252316180089'), 'utf16le')])
    expect(run(['devices', 'config', 'set', 'meter', 'enc', '-'], piped)).toMatchObject({ code: 0, err: '' })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180089' } })
    const utf32 = join(dir, 'utf32.json')
    await writeFile(utf32, Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0, 0x7d, 0, 0, 0]))
    expect(run(['devices', 'config', 'set', 'meter', 'enc', utf32])).toEqual({
      code: 2,
      out: '',
      err: `fieldline: ${utf32} is UTF-32LE text, which Fieldline does not read: save it as UTF-8 (or UTF-16) and give it again; nothing was saved\n`,
    })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180089' } })
    // Windows-1252 ("à" is one byte, 0xE0): refused where it is, not saved with U+FFFD in its place.
    const latin = join(dir, 'cp1252.json')
    await writeFile(latin, Buffer.concat([Buffer.from('{\n  "jasper": {"iccid": "89011704252316180097", "note": "Pompe '), Buffer.from([0xe0]), Buffer.from(' eau"}\n}\n')]))
    expect(run(['devices', 'config', 'set', 'meter', 'enc', latin])).toEqual({
      code: 2,
      out: '',
      err: `fieldline: ${latin}, line 2, byte offset 63: not UTF-8 (byte 0xE0, perhaps Latin-1 or Windows-1252): save it as UTF-8 and give it again; nothing was saved\n`,
    })
    expect(saved()).toEqual({ jasper: { iccid: '89011704252316180089' } })
  })
})

describe('fieldline sim (Control Center) against the peer', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let peer: ControlCenterPeer
  // Asynchronous: the peer runs in this process and must keep answering while the CLI runs.
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], {
        env: { ...process.env, FIELDLINE_CC_URL: peer.url, FIELDLINE_CC_USERNAME: 'ops', FIELDLINE_CC_API_KEY: 'test-api-key', ...env },
      })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('close', (code) => resolve({ code, out, err }))
    })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    peer = await startControlCenterPeer({ devices: 5, smsDeliveryMs: 10 })
  })
  afterAll(async () => {
    await peer.close()
    await cleanup()
  })

  it('shows a SIM as the normalised model, and changes its state with an audit entry', async () => {
    const iccid = peer.iccids[0]!
    const shown = JSON.parse((await run(['--json', 'sim', 'show', iccid])).out) as { iccid: string; carrier: string; monthToDate: { dataBytes: number } }
    expect(shown).toMatchObject({ iccid, carrier: 'jasper', monthToDate: { dataBytes: expect.any(Number) } })
    // $USER is not who is at the keyboard (unset on Windows, anything in a script): the trail names the OS user, as the window does.
    expect(await run(['sim', 'status', iccid, 'RETIRED'], { USER: 'not-the-os-user' })).toMatchObject({ code: 0, out: expect.stringContaining('→ retired') })
    expect(peer.stats().statusChanges).toEqual([expect.objectContaining({ iccid, status: 'RETIRED' })])
    // No way back from the end of its life, nor another plan (docs/wire/control-center.md §1.13): refused, nothing sent.
    for (const args of [
      ['status', iccid, 'ACTIVATED'],
      ['plan', iccid, peer.ratePlans[0]!],
    ]) {
      const refused = await run(['sim', ...args])
      expect(refused.code).toBe(1)
      expect(refused.err).toContain(`SIM ${iccid} is retired: Fieldline changes nothing of a SIM at the end of its life`)
    }
    expect(peer.stats().statusChanges).toHaveLength(1)
    const core = await testCore(join(dir, 'data'))
    try {
      expect((await core.call('audit:list', { query: 'sim.changeStatus' })).items).toMatchObject([{ actor: `cli:${osActor()}` }])
    } finally {
      await core.close()
    }
    const listed = await run(['--json', 'devices', 'list'])
    expect(listed.err).toBe('')
    expect(listed.code).toBe(0)
  })

  it('takes a state in Fieldline’s spelling too (which job create --status documents), as it sends it to the carrier', async () => {
    // A SIM the peer's inventory has not retired (nothing changes at the end of its life).
    let iccid = ''
    for (const candidate of peer.iccids.slice(1)) {
      if ((JSON.parse((await run(['--json', 'sim', 'show', candidate])).out) as { status: string }).status === 'retired') continue
      iccid = candidate
      break
    }
    expect(await run(['sim', 'status', iccid, 'activationReady'])).toMatchObject({ code: 0, out: expect.stringContaining('→ activationReady') })
    expect(await run(['sim', 'status', iccid, 'deactivated'])).toMatchObject({ code: 0, out: expect.stringContaining('→ deactivated') })
    expect(peer.stats().statusChanges.filter((c) => c.iccid === iccid)).toEqual([expect.objectContaining({ status: 'ACTIVATION_READY' }), expect.objectContaining({ status: 'DEACTIVATED' })])
  })

  it('exits 2 for bad input and 1 with the carrier code for carrier errors', async () => {
    expect((await run(['sim', 'status', peer.iccids[0]!, 'FROZEN'])).code).toBe(2)
    expect((await run(['sim', 'usage', peer.iccids[0]!, '--cycle', '2024-02-30'])).code).toBe(2)
    const unknown = await run(['sim', 'show', '8988216716970004975'])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('carrier error 20000001')
    const badKey = await run(['sim', 'show', peer.iccids[0]!], { FIELDLINE_CC_API_KEY: 'wrong' })
    expect(badKey).toMatchObject({ code: 1, err: expect.stringContaining('carrier error 10000001') })
    expect(badKey.err).not.toContain('wrong')
    expect((await run(['sim', 'show', peer.iccids[0]!], { FIELDLINE_CC_URL: '' })).code).toBe(2)
  })

  it('lists plans, sends an SMS once, and searches every page', async () => {
    expect((await run(['sim', 'plans'])).out.split('\n').filter(Boolean)).toEqual([...peer.ratePlans])
    expect((await run(['sim', 'sms', peer.iccids[2]!, 'hello'])).out).toMatch(/^sent SMS \d+ to /)
    expect(peer.stats().smsSent).toBe(1)
    const lines = (await run(['--json', 'sim', 'search', '--since', '2000-01-01T00:00:00Z'])).out.split('\n').filter(Boolean)
    expect(lines).toHaveLength(5)
  })
})
