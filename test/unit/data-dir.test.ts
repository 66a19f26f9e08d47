/**
 * The data folder the CLI and serve mode are given (`--data-dir`, FIELDLINE_DATA_DIR): one that cannot be a folder is
 * refused in words before the core opens it, and one that is missing is made private.
 */
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataDirProblem } from '../../src-main/cli/data-dir'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'

describe('the data folder given to the CLI', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => ({ dir, cleanup } = await tempDir()))
  afterEach(async () => cleanup())

  it('refuses a file, or a path through a file, saying which, and makes a missing folder 0700 with its parents', async () => {
    const file = join(dir, 'devices.csv')
    await writeFile(file, 'typeId,deviceId\n')
    expect(dataDirProblem(file)).toBe(`fieldline: cannot use ${file} as the data folder: it is a file, not a folder; give another with --data-dir or FIELDLINE_DATA_DIR`)
    expect(dataDirProblem(join(file, 'ws'))).toBe(`fieldline: cannot use ${join(file, 'ws')} as the data folder: ${file} is a file, not a folder; give another with --data-dir or FIELDLINE_DATA_DIR`)
    const fresh = join(dir, 'a', 'b')
    expect(dataDirProblem(fresh)).toBeNull()
    expect((await stat(fresh)).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o700)
    expect(dataDirProblem(fresh)).toBeNull()
  })

  it('says so with exit 2 and nothing else, where a command printed "EEXIST: file already exists, mkdir" after a log-file warning', async () => {
    const file = join(dir, 'notes.txt')
    await writeFile(file, 'x')
    expect(await runCli(file, ['devices', 'count'])).toEqual({
      code: 2,
      out: '',
      err: `fieldline: cannot use ${file} as the data folder: it is a file, not a folder; give another with --data-dir or FIELDLINE_DATA_DIR\n`,
    })
  }, 60_000)
})
