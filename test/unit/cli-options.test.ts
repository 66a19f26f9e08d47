/**
 * The options each `devices` and `sims` command lists in its help: only those it uses, and the same as the README's
 * synopsis of it (the cold trial found `devices count --help` offering `--sort` and `--desc`, which a count ignores).
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { registerDevices } from '../../src-main/cli/commands/devices'
import { importFields } from '../../src-main/core/devices/import-fields'
import { interruptedSyncLine, parseSimFilters, registerSims, syncEstimateLine, syncProgressPrinter, syncResultLine } from '../../src-main/cli/commands/sims'
import { rowsFormat, type WithRuntime } from '../../src-main/cli/runtime'

/** The command tree as `fieldline` builds it; nothing runs, so no workspace is opened. */
function program(): Command {
  // Subcommands take these settings from the root when they are added: a refusal throws instead of exiting.
  const root = new Command('fieldline')
    .option('--data-dir <dir>')
    .option('--json')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  const never: WithRuntime = () => () => Promise.reject(new Error('not run in this test'))
  registerDevices(root, never)
  registerSims(root, never)
  return root
}

function command(root: Command, path: string): Command {
  return path.split(' ').reduce((c, name) => c.commands.find((s) => s.name() === name)!, root)
}

const longOptions = (c: Command): string[] =>
  c.options
    .map((o) => o.long!)
    .filter((o) => o !== '--help')
    .sort()

/** The README's synopsis of `path` (its continuation lines too), without the global options. */
function readmeOptions(path: string): string[] {
  const lines = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n')
  const start = lines.findIndex((l) => new RegExp(`^fieldline (\\[[^\\]]*\\] )*${path}\\b`).test(l))
  expect(start, path).toBeGreaterThanOrEqual(0)
  let text = lines[start]!
  for (let i = start + 1; /^\s+\[/.test(lines[i]!); i++) text += lines[i]
  return [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])].filter((o) => o !== '--data-dir' && o !== '--json').sort()
}

describe('the options of the devices and sims commands', () => {
  it('lists no order for a count, and the order where rows are written', () => {
    const root = program()
    expect(longOptions(command(root, 'devices count'))).toEqual(['--by', '--filter', '--query'])
    expect(command(root, 'devices count').helpInformation()).not.toMatch(/--sort|--desc/)
    for (const path of ['devices list', 'devices export', 'sims list', 'sims export', 'sims save-search'])
      expect(longOptions(command(root, path)), path).toEqual(expect.arrayContaining(['--sort', '--desc']))
  })

  it('lists in each command’s help the options the README gives it, no more and no fewer', () => {
    const root = program()
    for (const path of ['devices list', 'devices count', 'devices export', 'devices import', 'devices add', 'sims sync', 'sims list', 'sims export', 'sims save-search']) {
      expect(longOptions(command(root, path)), path).toEqual(readmeOptions(path))
    }
  })

  // Cold trial: the help named typeId,deviceId,description[,carrier,iccid,serialnumber] and none of the location columns.
  it('lists in devices import --help every column the importer reads, with the other headers it takes for each', () => {
    let help = ''
    const root = program()
    const importing = command(root, 'devices import').configureOutput({ writeOut: (t) => void (help += t) })
    importing.outputHelp()
    const columns = help.slice(help.indexOf('Columns read'))
    const line = (name: string) => columns.split('\n').find((l) => l.trimStart().startsWith(`${name} `)) ?? ''
    for (const { field, aliases } of importFields()) {
      expect(line(field), field).not.toBe('')
      for (const alias of aliases) expect(line(field), `${field} read from ${alias}`).toMatch(new RegExp(`also read from .*\\b${alias}\\b`))
    }
    for (const field of ['latitude', 'longitude', 'elevation', 'accuracy', 'simId', 'metadata.<field>']) expect(line(field), field).not.toBe('')
    expect(line('longitude')).toContain('also read from lon, lng, long')
    expect(columns).toContain('Any other column is kept as metadata')
  })

  it('refuses an order given to a count, rather than ignore it', async () => {
    await expect(program().parseAsync(['devices', 'count', '--sort', 'typeId'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.unknownOption' })
  })

  it('takes a list’s rows as --format or --json says, and refuses both at once rather than prefer one', () => {
    expect([rowsFormat(false, undefined), rowsFormat(false, 'csv'), rowsFormat(true, undefined)]).toEqual(['table', 'csv', 'json'])
    for (const format of ['table', 'csv', 'jsonl']) expect(() => rowsFormat(true, format)).toThrow(`fieldline: --json and --format ${format} cannot be used together`)
    expect(() => rowsFormat(false, 'xml')).toThrow('fieldline: --format must be table, csv or jsonl')
  })
})

describe('the SIM filters of the sims commands', () => {
  it('says a data filter takes a whole number of bytes, rather than that it received NaN', () => {
    for (const given of ['-5', '1e3', '1.5', 'lots', '']) {
      expect(() => parseSimFilters([`dataAbove=${given}`])).toThrow(`fieldline: --filter dataAbove= takes a whole number of bytes this cycle, such as 1048576 (got "${given}")`)
      expect(() => parseSimFilters([`dataBelow=${given}`])).toThrow('--filter dataBelow= takes a whole number of bytes')
    }
    expect(parseSimFilters(['dataAbove=1048576', 'dataBelow=0'])).toMatchObject({ dataAbove: 1048576, dataBelow: 0 })
  })

  it('names the field a refused value was given to, not its place in the schema', () => {
    expect(() => parseSimFilters(['status=activated,bogus'])).toThrow(/^fieldline: --filter status= must be one of inventory, /)
    expect(() => parseSimFilters(['status=activated,bogus'])).not.toThrow(/status\.\d/)
  })
})

describe('the lines of sims sync', () => {
  const estimate = { account: 'jasper:ops', sims: 0, listingCalls: 1, usageCalls: 0, perSecond: 5, seconds: 1, exact: false, lastSyncAt: null, interrupted: null }

  it('says the SIMs are not counted before a Control Center account’s first listing, rather than "at least 0 SIMs, 1 calls"', () => {
    expect(syncEstimateLine(estimate)).toBe('jasper:ops: full refresh SIMs not counted before the first listing, at least 1 call at 5/s ≈ 1 s')
    expect(syncEstimateLine({ ...estimate, sims: 100_000, listingCalls: 200, usageCalls: 2_000, seconds: 440 })).toBe(
      'jasper:ops: full refresh at least 100,000 SIMs, at least 2,200 calls at 5/s ≈ 7 min',
    )
    expect(syncEstimateLine({ ...estimate, sims: 20_000, listingCalls: 40, exact: true, seconds: 8 })).toBe('jasper:ops: full refresh 20,000 SIMs, 40 calls at 5/s ≈ 8 s')
  })

  it('writes its counts as the CLI writes numbers, 1,000 and not 1000, and one alert as one', () => {
    expect(syncResultLine({ account: 'jasper:ops', listed: 1000, usageRead: 564, calls: 1129, resumed: false, full: false, stopped: false, fired: 1 })).toBe(
      'jasper:ops: 1,000 listed, 564 usage read, 1,129 calls, 1 alert fired',
    )
    expect(syncResultLine({ account: 'jasper:ops', listed: 0, usageRead: 0, calls: 1, resumed: true, full: false, stopped: false, fired: 218 })).toBe(
      'jasper:ops: 0 listed, 0 usage read, 1 call (resumed), 218 alerts fired',
    )
  })

  it('says a sync the operator stopped kept what it read and goes on from there, and names the stop when the next sync starts', () => {
    expect(syncResultLine({ account: 'jasper:ops', listed: 1500, usageRead: 0, calls: 30, resumed: false, full: false, stopped: true, fired: 0 })).toBe(
      'jasper:ops: stopped after 1,500 listed, 0 usage read, 30 calls; what was read is kept, and the next sync with the same options goes on from there',
    )
    const left = { full: false, usage: false, phase: 'listing' as const, listed: 1500, usageRead: 0 }
    expect(interruptedSyncLine({ ...estimate, interrupted: { ...left, stoppedAt: '2026-03-14T10:00:00.000Z' } }, { full: false, usage: false })).toBe(
      'jasper:ops: going on with the sync stopped 2026-03-14T10:00:00.000Z (1,500 SIMs listed)',
    )
    expect(interruptedSyncLine({ ...estimate, interrupted: { ...left, stoppedAt: null } }, { full: false, usage: false })).toBe(
      'jasper:ops: going on with the sync a stopped process left unfinished (1,500 SIMs listed)',
    )
    expect(interruptedSyncLine({ ...estimate, interrupted: { ...left, stoppedAt: '2026-03-14T10:00:00.000Z' } }, { full: true, usage: false })).toBe(
      'jasper:ops: a sync with neither --full nor --usage was stopped 2026-03-14T10:00:00.000Z (1,500 SIMs listed); this one, with --full, starts again from the first page (the SIMs written are kept)',
    )
  })

  it('prints the progress of its account with the listing and the usage reads counted apart, never the same line twice in a row', () => {
    const lines: string[] = []
    const print = syncProgressPrinter('jasper:ops', (l) => lines.push(l))
    const at = (phase: 'listing' | 'usage' | 'done', sims: number, calls: number, account = 'jasper:ops') => print({ account, phase, sims, calls, done: phase === 'done' })
    at('listing', 2000, 40)
    at('listing', 2000, 40)
    at('listing', 500, 10, 'jasper:other')
    at('listing', 3000, 60)
    at('usage', 50, 160)
    // A batch of SIMs that use no data reads nothing: the same counts again.
    at('usage', 50, 160)
    at('usage', 1200, 2460)
    at('done', 3000, 2460)
    expect(lines).toEqual([
      'jasper:ops: listing, 2,000 listed, 40 calls',
      'jasper:ops: listing, 3,000 listed, 60 calls',
      'jasper:ops: reading usage, 50 usage read, 160 calls',
      'jasper:ops: reading usage, 1,200 usage read, 2,460 calls',
    ])
  })
})
