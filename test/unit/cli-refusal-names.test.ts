/**
 * The CLI names a refused field as the operator typed it: an argument as `<name>`, an option as `--name`, and the text
 * of a `<file>` argument (sent to the core as `text`) as that argument.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { fieldNamesOf } from '../../src-main/cli/refusal'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'

describe('the names a CLI refusal uses', () => {
  it('takes a <file> argument for the text sent from it, unless an option is called --text', () => {
    const set = new Command('set').argument('<typeId>').argument('<file>')
    expect(Object.fromEntries(fieldNamesOf(set))).toEqual({ typeId: '<typeId>', file: '<file>', text: '<file>' })
    const sms = new Command('create').option('--text <t>').option('--from-csv <file>').argument('[file]')
    expect(fieldNamesOf(sms).get('text')).toBe('--text')
  })

  it('says a configuration file too large as the file, where it said "text must be at most 6 MB"', async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const big = join(dir, 'big.json')
      await writeFile(big, ' '.repeat(7 * 1024 * 1024))
      expect(await runCli(join(dir, 'data'), ['devices', 'config', 'set', 'meter', 'm-1', big])).toEqual({
        code: 2,
        out: '',
        err: 'fieldline: <file> must be at most 6 MB (6291456 bytes of UTF-8)\n',
      })
    } finally {
      await cleanup()
    }
  }, 60_000)
})
