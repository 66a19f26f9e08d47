/**
 * The CLI's device list: `devices list` with filters, sorts, columns and formats, `devices count [--by]`, and
 * `devices export FILE` (streamed, progress on stderr, spreadsheet-safe cells), against a real workspace.
 */
import { spawnSync } from 'node:child_process'
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEVICE_COLUMNS } from '../../src-shared/models/device-query'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'

describe('fieldline devices list, count and export', () => {
  let dir: string
  let dataDir: string
  let cleanup: () => Promise<void>
  const run = (args: string[]) => runCli(dataDir, args)

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    dataDir = join(dir, 'data')
    const csv = [
      'typeId,deviceId,description,carrier,iccid,serialnumber,site',
      'gw,gw-10,North,jasper,89882167169700049730,,A',
      'gw,gw-2,"=HYPERLINK(""http://x"")",jasper,89882167169700049731,,B',
      'gw,gw-1,"South, east",atnt,89011704252316180048,,A',
      'meter,m-1,@cmd,orange,,1234567890128,-2',
      'meter,m-2,+1 plain,,,,',
    ].join('\n')
    await writeFile(join(dir, 'in.csv'), csv)
    expect((await run(['devices', 'import', join(dir, 'in.csv')])).code).toBe(0)
  }, 120_000)
  afterAll(async () => cleanup())

  it('lists in natural order by default, and filters, sorts and shows the columns asked for in each format', async () => {
    expect((await run(['devices', 'list'])).out).toBe(
      'gw\tgw-1\tSouth, east\tatnt\ngw\tgw-2\t=HYPERLINK("http://x")\tjasper\ngw\tgw-10\tNorth\tjasper\nmeter\tm-1\t@cmd\torange\nmeter\tm-2\t+1 plain\n',
    )
    const jasper = await run(['devices', 'list', '--filter', 'carrier=jasper', '--sort', 'deviceId', '--desc', '--columns', 'deviceId,simId,simStatus,metadata.site', '--format', 'csv'])
    expect(jasper).toMatchObject({ code: 0, out: 'deviceId,simId,simStatus,metadata.site\r\ngw-10,89882167169700049730,notCached,A\r\ngw-2,89882167169700049731,notCached,B\n' })
    const lines = (await run(['devices', 'list', '--filter', 'carrier=jasper,atnt', '--filter', 'typeId=gw', '--query', 'south', '--columns', 'typeId,deviceId,extensions', '--format', 'jsonl'])).out
    expect(
      lines
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ typeId: 'gw', deviceId: 'gw-1', extensions: ['atnt'] }])
    expect(JSON.parse((await run(['--json', 'devices', 'list', '--filter', 'extension=none', '--columns', 'deviceId,carrier'])).out)).toEqual({ total: 1, items: [{ deviceId: 'm-2', carrier: null }] })
  }, 120_000)

  it('says on stderr, in every format, how many of the matches it showed and how to get the rest', async () => {
    // Cold trial: \`devices list --format csv > all.csv\` at a million devices wrote 1,000 rows and said nothing.
    for (const format of ['csv', 'jsonl', 'table']) {
      const page = await run(['devices', 'list', '--limit', '2', '--format', format])
      expect(page).toMatchObject({ code: 0, err: '2 shown of 5 (the next with --offset 2; every device: devices export FILE)\n' })
    }
    expect((await run(['devices', 'list', '--offset', '4', '--format', 'csv'])).err).toBe('1 shown of 5\n')
  }, 120_000)

  it('refuses unknown fields, columns, sorts and values with exit 2 and a reason', async () => {
    expect(await run(['devices', 'list', '--filter', 'colour=red'])).toMatchObject({ code: 2, err: expect.stringContaining('--filter takes FIELD=VALUE with FIELD one of typeId, carrier') })
    expect(await run(['devices', 'list', '--sort', 'colour'])).toMatchObject({ code: 2, err: expect.stringContaining('--sort takes one of') })
    expect(await run(['devices', 'list', '--columns', 'typeId,colour'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown column "colour"') })
    expect(await run(['devices', 'list', '--filter', 'simStatus=frozen'])).toMatchObject({ code: 2, err: expect.stringContaining('simStatus') })
    expect(await run(['devices', 'list', '--filter', 'configErrors=maybe'])).toMatchObject({ code: 2, err: expect.stringContaining('takes true or false') })
    expect(await run(['devices', 'list', '--format', 'xml'])).toMatchObject({ code: 2 })
    // Cold trial: --json won over --format csv, and a script that asked for CSV got JSON without a word.
    expect(await run(['--json', 'devices', 'list', '--format', 'csv'])).toMatchObject({
      code: 2,
      out: '',
      err: 'fieldline: --json and --format csv cannot be used together: --json prints the rows as one JSON document ({total, items}), --format as table, csv or jsonl\n',
    })
    expect(await run(['devices', 'count', '--by', 'colour'])).toMatchObject({ code: 2, err: expect.stringContaining('--by takes one of') })
    expect(await run(['devices', 'list', '--limit', 'abc'])).toMatchObject({ code: 2, err: 'fieldline: --limit takes a whole number from 1 to 1,000 (got "abc")\n' })
    // A search of punctuation alone searches nothing: a script would act on every device.
    expect(await run(['devices', 'count', '--query', '!!!'])).toMatchObject({ code: 2, err: expect.stringContaining('--query "!!!" has no letter or digit to search for') })
  }, 120_000)

  it('counts all devices, a selection, and by field', async () => {
    expect(await run(['devices', 'count'])).toMatchObject({ code: 0, out: '5\n' })
    expect((await run(['devices', 'count', '--by', 'carrier'])).out).toBe('5\njasper\t2\natnt\t1\nnone\t1\norange\t1\n')
    expect(JSON.parse((await run(['--json', 'devices', 'count', '--filter', 'typeId=gw', '--by', 'simStatus'])).out)).toEqual({
      total: 3,
      facets: [{ field: 'simStatus', values: [{ value: 'notCached', count: 3 }] }],
    })
  }, 120_000)

  it('exports a selection to CSV with spreadsheet-safe cells, reports progress on stderr, and to JSON Lines by name', async () => {
    const file = join(dir, 'out.csv')
    const r = await run(['devices', 'export', file, '--columns', 'typeId,deviceId,description,metadata.site'])
    expect(r).toMatchObject({ code: 0, out: `exported 5 devices to ${file}\n` })
    expect(r.err).toContain(`fieldline: exporting to ${file}: 5 of 5 devices (100%)`)
    const text = await readFile(file, 'utf8')
    // UTF-8's byte-order mark first, for Excel (cold trial: "Poste électrique" opened as "Poste Ã©lectrique").
    expect(text.startsWith('\uFEFFtypeId,deviceId,description,metadata.site\r\n')).toBe(true)
    // Opened back as CSV: every cell a spreadsheet would run as a formula starts with an apostrophe.
    expect(parse(text, { columns: true, bom: true }) as unknown[]).toEqual([
      { typeId: 'gw', deviceId: 'gw-1', description: 'South, east', 'metadata.site': 'A' },
      { typeId: 'gw', deviceId: 'gw-2', description: `'=HYPERLINK("http://x")`, 'metadata.site': 'B' },
      { typeId: 'gw', deviceId: 'gw-10', description: 'North', 'metadata.site': 'A' },
      { typeId: 'meter', deviceId: 'm-1', description: "'@cmd", 'metadata.site': "'-2" },
      { typeId: 'meter', deviceId: 'm-2', description: "'+1 plain", 'metadata.site': '' },
    ])
    const jsonl = join(dir, 'out.jsonl')
    // An export's --json is its summary on stdout, its --format the file's: the two go together.
    expect(await run(['--json', 'devices', 'export', jsonl, '--format', 'jsonl', '--filter', 'carrier=orange', '--columns', 'deviceId,simId,configErrors,dataThisCycleBytes'])).toMatchObject({
      code: 0,
      out: `${JSON.stringify({ file: jsonl, rows: 1 })}\n`,
    })
    expect(JSON.parse(await readFile(jsonl, 'utf8'))).toEqual({ deviceId: 'm-1', simId: '1234567890128', configErrors: false, dataThisCycleBytes: null })
    // A script whose CSV reader keeps the mark as part of the first column's name can leave it out.
    const plain = join(dir, 'plain.csv')
    expect((await run(['devices', 'export', plain, '--no-bom', '--filter', 'carrier=orange', '--columns', 'deviceId'])).code).toBe(0)
    expect(await readFile(plain, 'utf8')).toBe('deviceId\r\nm-1\r\n')
    // Cold trial: out.xlsx got CSV. An extension of another format is refused before anything is written.
    expect(await run(['devices', 'export', join(dir, 'out.xlsx')])).toMatchObject({ code: 2, err: expect.stringContaining('an export is CSV (.csv) or JSON Lines (.jsonl, .ndjson), not .xlsx') })
    await expect(readFile(join(dir, 'out.xlsx'))).rejects.toMatchObject({ code: 'ENOENT' })
    const ndjson = join(dir, 'out.ndjson')
    expect((await run(['devices', 'export', ndjson, '--filter', 'carrier=orange', '--columns', 'deviceId'])).code).toBe(0)
    expect(await readFile(ndjson, 'utf8')).toBe('{"deviceId":"m-1"}\n')
    expect(await run(['devices', 'export', join(dir, 'no-such-folder', 'x.csv')])).toMatchObject({
      code: 2,
      err: expect.stringContaining(`cannot write ${join(dir, 'no-such-folder', 'x.csv')}: its folder does not exist`),
    })
  }, 120_000)

  it('imports its own export again as the devices it held, CSV and JSON Lines alike', async () => {
    // Cold trial: the export's '-neg (an ID that begins with a dash, guarded) was refused, descriptions kept the guard's
    // apostrophe, every device with a SIM was refused ("Carrier atnt needs its iccid column filled": the export calls it
    // simId) and the computed columns became metadata.
    const source = join(dir, 'source')
    expect((await runCli(source, ['devices', 'import', join(dir, 'in.csv')])).code).toBe(0)
    expect((await runCli(source, ['devices', 'add', '--description', "'=kept apostrophe", 'gw', '--', '-neg'])).code).toBe(0)
    expect((await runCli(source, ['devices', 'add', '--description', 'Poste électrique', 'poste', 'p-1'])).code).toBe(0)
    // The columns Fieldline works out (the SIM cache's, the last change) do not become metadata.
    const columns = 'typeId,deviceId,description,carrier,simId,extensions,metadata.site,metadata.simStatus,metadata.updatedAt'
    for (const name of ['all.csv', 'all.jsonl']) {
      const first = join(dir, `first-${name}`)
      const again = join(dir, `again-${name}`)
      // Every column, and the metadata field (an export writes the metadata fields it is asked for).
      expect((await runCli(source, ['devices', 'export', first, '--columns', `${DEVICE_COLUMNS.join(',')},metadata.site`])).code).toBe(0)
      // The CSV starts with UTF-8's byte-order mark, which the import drops (the header's first column is typeId).
      expect((await readFile(first, 'utf8')).startsWith('\uFEFF')).toBe(name.endsWith('.csv'))
      const target = join(dir, `target-${name}`)
      expect(await runCli(target, ['devices', 'import', first])).toMatchObject({ code: 0, out: '7 added, 0 already there, 0 refused, 7 rows read\n' })
      expect((await runCli(source, ['devices', 'export', first, '--columns', columns])).code).toBe(0)
      expect((await runCli(target, ['devices', 'export', again, '--columns', columns])).code).toBe(0)
      expect(await readFile(again, 'utf8')).toBe(await readFile(first, 'utf8'))
    }
    expect(await readFile(join(dir, 'again-all.csv'), 'utf8')).toContain("gw,'-neg,''=kept apostrophe,")
    expect(await readFile(join(dir, 'again-all.csv'), 'utf8')).toContain('poste,p-1,Poste électrique,')
  }, 120_000)

  it('refuses a folder given as the file to import or to export, in words, before anything starts', async () => {
    // Cold trial: `devices import FOLDER` said "EISDIR: illegal operation on a directory, read" with exit 1, and the next
    // command warned of an import "cut short"; `devices export .` said it had exported 100 %, then "cannot write .: EBUSY".
    const folder = join(dir, 'a-folder')
    await mkdir(folder)
    expect(await run(['devices', 'import', folder])).toEqual({ code: 2, out: '', err: `fieldline: cannot read ${folder}: it is a folder\n` })
    expect(await run(['devices', 'export', folder])).toEqual({ code: 2, out: '', err: `fieldline: cannot write ${folder}: it is a folder\n` })
    expect(await run(['devices', 'count'])).toEqual({ code: 0, out: '5\n', err: '' })
  }, 120_000)

  it('removes the temporary file an export killed part way left beside FILE, saying so, and keeps a running one', async () => {
    // Cold trial: `kill -9` during `devices export out.csv` left `.out.csv.PID.partial` (hidden, 0600, as large as the
    // export had got) that every later export to out.csv left there without a word.
    const folder = join(dir, 'killed')
    await mkdir(folder)
    const gone = spawnSync(process.execPath, ['-e', '']).pid // a process that has ended: its pid names no export
    const left = join(folder, `.out.csv.${gone}.partial`)
    const live = join(folder, `.out.csv.${process.pid}.partial`) // this test's own process stands for an export still running
    await writeFile(left, 'typeId,deviceId\ngw,gw-1\n')
    await writeFile(live, 'typeId,deviceId\n')
    await writeFile(join(folder, '.other.csv.1.partial'), 'x')
    const out = join(folder, 'out.csv')
    const exported = await run(['devices', 'export', out, '--no-bom'])
    expect(exported, exported.err).toMatchObject({ code: 0, out: `exported 5 devices to ${out}\n` })
    expect(exported.err).toContain(`fieldline: removed ${left}, what an earlier export to ${out} left when it was stopped part way\n`)
    expect((await readdir(folder)).sort()).toEqual(['.other.csv.1.partial', `.out.csv.${process.pid}.partial`, 'out.csv'])
  }, 120_000)

  it('exports to /dev/stdout as the rows come, with the summary on stderr, and leaves /dev/stdout as it was', async () => {
    // Cold trial: run as root, `devices export /dev/stdout` renamed its temporary file over /dev/stdout itself.
    const before = await lstat('/dev/stdout')
    const piped = await run(['devices', 'export', '/dev/stdout', '--columns', 'deviceId', '--format', 'jsonl'])
    expect(piped, piped.err).toMatchObject({ code: 0, out: ['gw-1', 'gw-2', 'gw-10', 'm-1', 'm-2'].map((d) => `{"deviceId":"${d}"}\n`).join('') })
    expect(piped.err).toContain('exported 5 devices to /dev/stdout\n')
    const after = await lstat('/dev/stdout')
    expect([after.isSymbolicLink(), after.ino]).toEqual([before.isSymbolicLink(), before.ino])
  }, 120_000)
})
