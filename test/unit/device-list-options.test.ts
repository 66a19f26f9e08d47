import { execFileSync } from 'node:child_process'
import { closeSync, constants, openSync, readSync } from 'node:fs'
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseFilters } from '../../src-main/cli/device-list-options'
import { exportProgress, importProgress, writeWhole } from '../../src-main/cli/export-progress'
import { cannotRead, cannotReadError, cannotWrite } from '../../src-main/cli/file-problems'
import { tempDir } from '../helpers/core'

describe('the CLI’s device filters', () => {
  it('takes SIM statuses as the carrier writes them (ACTIVATED, TEST_READY) or as Fieldline does, each value once', () => {
    expect(parseFilters(['simStatus=ACTIVATED,TEST_READY', 'simStatus=testReady', 'simStatus=notcached'])).toEqual({
      simStatus: ['activated', 'testReady', 'notCached'],
    })
    expect(parseFilters(['carrier=jasper', 'typeId=GW'])).toEqual({ carrier: ['jasper'], typeId: ['GW'] })
    expect(() => parseFilters(['typeId='])).toThrow('--filter typeId= needs a value')
    expect(() => parseFilters(['carrier=jasper,'])).toThrow('--filter carrier= needs a value')
  })

  it('refuses a value the field does not take by the values it takes (count and export got only "selection: Invalid input")', () => {
    expect(() => parseFilters(['carrier=verizon'])).toThrow('fieldline: --filter carrier= takes jasper, atnt, orange, none (got "verizon")')
    expect(() => parseFilters(['simStatus=frozen'])).toThrow(/^fieldline: --filter simStatus= takes inventory, testReady, .*notCached, none \(got "frozen"\)$/)
    expect(() => parseFilters(['weather=sunny'])).toThrow('fieldline: --filter weather= takes cached, notFetched, moved, none (got "sunny")')
    expect(() => parseFilters(['extension=Not A Name'])).toThrow('fieldline: --filter extension= must be an extension name (got "Not A Name")')
    expect(() => parseFilters(['carrier=jasper,jasper', 'carrier=jasper,atnt,orange,none'])).not.toThrow()
    expect(() => parseFilters([`typeId=${Array.from({ length: 101 }, (_, i) => `t${i}`).join(',')}`])).toThrow('fieldline: --filter typeId= takes at most 100 values')
  })
})

describe('an export file that cannot be written', () => {
  it('says why in words, and the code itself when it has no words for it', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: failed`), { code })
    expect(cannotWrite('/x/y.csv', err('ENOENT'))).toBe('cannot write /x/y.csv: its folder does not exist')
    expect(cannotWrite('/x', err('EISDIR'))).toBe('cannot write /x: it is a folder')
    expect(cannotWrite('/x', err('EACCES'))).toBe('cannot write /x: permission denied')
    expect(cannotWrite('/x', err('EMFILE'))).toBe('cannot write /x: EMFILE')
  })

  it('shares its words with a file that cannot be read, except where reading and writing differ', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: failed`), { code })
    expect(cannotReadError('/x/y.csv', err('ENOENT'))).toBe('cannot read /x/y.csv: no such file')
    expect(cannotRead('/x', 'EIO')).toBe('cannot read /x: the disk could not be read')
    expect(cannotWrite('/x', err('EIO'))).toBe('cannot write /x: the disk could not be written')
    expect(cannotRead('/x', 'EISDIR')).toBe('cannot read /x: it is a folder')
    expect(cannotRead('/x', 'EPERM')).toBe('cannot read /x: permission denied')
    expect(cannotReadError('/x', new Error('torn'))).toBe('cannot read /x: torn')
  })
})

describe('an export written whole or not at all', () => {
  it('replaces the file only once complete; one that fails part way leaves the old file, no temporary file, and says why', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const file = join(dir, 'devices.csv')
      await writeFile(file, 'yesterday\n')
      let abandoned = 0
      const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      const failing = writeWhole(
        file,
        async (out) => {
          await out.write('typeId,deviceId\r\n')
          expect(await readFile(file, 'utf8')).toBe('yesterday\n')
          throw full
        },
        async () => abandoned++,
      )
      await expect(failing).rejects.toMatchObject({ message: `fieldline: cannot write ${file}: the disk is full`, exitCode: 1 })
      expect(abandoned).toBe(1)
      expect(await readFile(file, 'utf8')).toBe('yesterday\n')
      expect(await readdir(dir)).toEqual(['devices.csv'])

      // The core's own error passes through as it is, after the same clean-up.
      const refused = new Error('export job not found')
      await expect(writeWhole(file, async () => Promise.reject(refused))).rejects.toBe(refused)
      expect(await readdir(dir)).toEqual(['devices.csv'])

      await chmod(file, 0o664)
      await writeWhole(file, async (out) => {
        await out.write('typeId,deviceId\r\nmeter,m-1\r\n')
      })
      expect(await readFile(file, 'utf8')).toBe('typeId,deviceId\r\nmeter,m-1\r\n')
      // Replaced, the file keeps its permissions.
      expect((await stat(file)).mode & 0o777).toBe(0o664)
      expect(await readdir(dir)).toEqual(['devices.csv'])

      // A folder in the way: said in words, and nothing left behind.
      await mkdir(join(dir, 'folder.csv'))
      await expect(writeWhole(join(dir, 'folder.csv'), async (out) => void (await out.write('x')))).rejects.toMatchObject({
        message: `fieldline: cannot write ${join(dir, 'folder.csv')}: it is a folder`,
        exitCode: 2,
      })
      expect((await readdir(dir)).sort()).toEqual(['devices.csv', 'folder.csv'])
      // The folder itself (`devices export .`): refused as a folder before anything is written, not as EBUSY.
      let written = 0
      await expect(writeWhole(dir, async () => void written++)).rejects.toMatchObject({ message: `fieldline: cannot write ${dir}: it is a folder`, exitCode: 2 })
      expect(written).toBe(0)
      expect((await readdir(dir)).sort()).toEqual(['devices.csv', 'folder.csv'])
    } finally {
      await cleanup()
    }
  })
})

describe('an export to a link, a pipe or /dev/stdout', () => {
  it('replaces the file a link names and keeps the link; writes a pipe as it is, without putting a file in its place', async () => {
    // Cold trial: `devices export /dev/stdout` renamed its temporary file over /dev/stdout (root may write in /dev).
    const { dir, cleanup } = await tempDir()
    try {
      const real = join(dir, 'real.csv')
      const link = join(dir, 'latest.csv')
      await writeFile(real, 'old\n')
      await chmod(real, 0o640)
      await symlink(real, link)
      await writeWhole(link, async (out) => void (await out.write('new\n')))
      expect((await lstat(link)).isSymbolicLink()).toBe(true)
      expect(await readFile(real, 'utf8')).toBe('new\n')
      expect((await stat(real)).mode & 0o777).toBe(0o640)
      expect((await readdir(dir)).sort()).toEqual(['latest.csv', 'real.csv'])

      const fifo = join(dir, 'pipe')
      execFileSync('mkfifo', [fifo])
      // Opened without blocking, so a writer can open it and nothing waits if none does.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
      try {
        await writeWhole(fifo, async (out) => void (await out.write('typeId,deviceId\r\n')))
        expect((await lstat(fifo)).isFIFO()).toBe(true)
        const got = Buffer.alloc(64)
        expect(got.subarray(0, readSync(reader, got)).toString()).toBe('typeId,deviceId\r\n')
      } finally {
        closeSync(reader)
      }
      expect((await readdir(dir)).sort()).toEqual(['latest.csv', 'pipe', 'real.csv'])
    } finally {
      await cleanup()
    }
  })
})

describe('the import’s progress line', () => {
  it('says 100 % only once the import has finished, not when the last bytes were sent (the core reads the last row at the end)', () => {
    const lines: string[] = []
    const out = { isTTY: false, write: (text: string) => lines.push(text.trim()) }
    let clock = 0
    // The timer that writes the lines between the first and the last (cli-progress-line.test.ts), fired by hand.
    let tick = () => undefined as void
    const progress = importProgress(
      out,
      'fleet.csv',
      1000,
      () => clock,
      (_ms, fn) => ((tick = fn), () => undefined),
    )
    progress(500, 4_999, false)
    clock += 10_000
    progress(1000, 99_999, false)
    tick()
    clock += 10_000
    progress(1000, 100_000, true)
    expect(lines).toEqual([
      'fieldline: importing fleet.csv: 50% read (4,999 rows) (0 s)',
      'fieldline: importing fleet.csv: 99% read (99,999 rows) (10 s)',
      'fieldline: importing fleet.csv: 100% read (100,000 rows) (20 s)',
    ])
  })

  it('says one row, and one device exported, in the singular (cold trial: "(1 rows)", "1 of 1 devices")', () => {
    const lines: string[] = []
    const out = { isTTY: false, write: (text: string) => lines.push(text.trim()) }
    const never = () => () => undefined
    importProgress(out, 'one.csv', 10, () => 0, never)(10, 1, true)
    exportProgress(out, 'one.csv', 1, () => 0, never)(1, true)
    expect(lines).toEqual(['fieldline: importing one.csv: 100% read (1 row) (0 s)', 'fieldline: exporting to one.csv: 1 of 1 device (100%) (0 s)'])
  })
})
