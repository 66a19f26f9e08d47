import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateFiles, type ValidateIo } from '../../src-main/cli/commands/dm'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** The real command tree, as `fieldline` runs it: `dm validate` opens no workspace, so no data directory is needed. */
const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

const PACKAGE = {
  bundleId: 'exampleDeviceType-actions-v1',
  displayName: { en_US: 'exampleDeviceType Actions v1' },
  version: '1.0',
  provider: 'some company',
  actions: {
    installPlugin: {
      actionDisplayName: { en_US: 'Install Plug-in' },
      parameters: [
        { name: 'pluginId', value: '\\w+', required: true },
        { name: 'pluginURI', value: '((http:\\/\\/|https:\\/\\/)(.*)+)', required: true },
      ],
    },
  },
}

describe('fieldline dm validate', () => {
  let dir: string
  const files: Record<string, string> = {}

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldline-dm-cli-'))
    const write = async (name: string, text: string) => {
      files[name] = join(dir, name)
      await writeFile(files[name], text)
    }
    await write('valid.json', JSON.stringify(PACKAGE, null, 2))
    // IBM's Python sample style: "required" as a string — a warning, still valid.
    await write('warning.json', JSON.stringify(PACKAGE, null, 2).replace('"required": true', '"required": "true"'))
    await write('invalid.json', '{\n  "bundleId": "bad id",\n  "displayName": {},\n  "actions": {"go": {"actionDisplayName": {"en": "Go"}}}\n}\n')
    await write('syntax.json', '{\n  "bundleId": "b",\n  "actions": {\n')
    files.big = join(dir, 'big.json')
    await writeFile(files.big, '')
    await truncate(files.big, 6 * 1024 * 1024) // sparse: refused by its size, never read
    files.missing = join(dir, 'missing.json')
    files.latin1 = join(dir, 'latin1.json')
    await writeFile(files.latin1, Buffer.from(JSON.stringify({ ...PACKAGE, displayName: { fr_FR: 'Pompe à eau' } }, null, 2), 'latin1'))
    files.utf16 = join(dir, 'utf16.json')
    await writeFile(files.utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(PACKAGE, null, 2), 'utf16le')]))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  const capture = () => {
    const out: string[] = []
    const err: string[] = []
    const io: ValidateIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), stdin: async function* () {} }
    return { io, out, err }
  }

  it('exits 0 for a valid package and prints nothing on stdout', async () => {
    const c = capture()
    expect(await validateFiles([files['valid.json']!], { json: false }, c.io)).toBe(0)
    expect(c.out).toEqual([])
    expect(c.err).toEqual(['1 file: 1 valid, 0 invalid (0 errors, 0 warnings shown)'])
  })

  it('exits 0 with warnings, printed as FILE:LINE:COL: warning: message (pointer)', async () => {
    const c = capture()
    expect(await validateFiles([files['warning.json']!], { json: false }, c.io)).toBe(0)
    expect(c.out).toEqual([`${files['warning.json']}:17:23: warning: "required" should be the boolean true, not the string "true"; it is read as true (/actions/installPlugin/parameters/0/required)`])
  })

  it('exits 1 for an invalid package, one line per diagnostic in document order', async () => {
    const c = capture()
    expect(await validateFiles([files['invalid.json']!], { json: false }, c.io)).toBe(1)
    const f = files['invalid.json']
    expect(c.out).toEqual([
      `${f}:2:15: error: "bundleId" contains a space or another invisible character (U+0020): only letters, digits, '-', '_' and '.' are allowed (/bundleId)`,
      `${f}:3:18: error: "displayName" needs at least one entry mapping a locale to a text, for example "en_US": "…" (/displayName)`,
    ])
    expect(c.err).toEqual(['1 file: 0 valid, 1 invalid (2 errors, 0 warnings shown)'])
    const s = capture()
    expect(await validateFiles([files['syntax.json']!], { json: false }, s.io)).toBe(1)
    expect(s.out[0]).toMatch(new RegExp(`^${files['syntax.json']}:4:1: error: JSON syntax error: `))
  })

  it('refuses a file over 5 MB by its size, with exit 1', async () => {
    const c = capture()
    expect(await validateFiles([files.big!], { json: false }, c.io)).toBe(1)
    expect(c.out).toEqual([`${files.big}:1:1: error: The package is 6 MB; packages larger than 5 MB are refused without being read`])
  })

  // Cold trial: a Windows-1252 file was valid (its "à" became U+FFFD), a UTF-16 one fifty JSON syntax errors.
  it('refuses a file that is not UTF-8 text, saying what it is and what to do, with exit 1', async () => {
    const c = capture()
    expect(await validateFiles([files.latin1!, files.utf16!], { json: false }, c.io)).toBe(1)
    expect(c.out).toEqual([
      `${files.latin1}:4:1: error: Line 4, byte offset 87: not UTF-8 (byte 0xE0, perhaps Latin-1 or Windows-1252): save the file as UTF-8 and add it again`,
      `${files.utf16}:1:1: error: The file is UTF-16LE text, not UTF-8: save it as UTF-8 and add it again`,
    ])
    expect(c.err).toEqual(['2 files: 0 valid, 2 invalid (2 errors, 0 warnings shown)'])
  })

  it('exits 2 when a file cannot be read, after checking the others', async () => {
    const c = capture()
    expect(await validateFiles([files['invalid.json']!, files.missing!, dir, files['valid.json']!], { json: false }, c.io)).toBe(2)
    expect(c.err).toEqual([
      `fieldline: cannot read ${files.missing}: no such file`,
      `fieldline: cannot read ${dir}: it is a folder`,
      '4 files: 1 valid, 1 invalid, 2 unreadable (2 errors, 0 warnings shown)',
    ])
    expect(c.out).toHaveLength(2)
  })

  it('--json prints one document with every file', async () => {
    const c = capture()
    expect(await validateFiles([files['valid.json']!, files['invalid.json']!, files.missing!], { json: true }, c.io)).toBe(2)
    expect(c.err).toEqual([])
    expect(c.out).toHaveLength(1)
    const doc = JSON.parse(c.out[0]!) as { files: unknown[] }
    expect(doc).toEqual({
      files: [
        { file: files['valid.json'], valid: true, diagnostics: [] },
        {
          file: files['invalid.json'],
          valid: false,
          diagnostics: [
            expect.objectContaining({ severity: 'error', pointer: '/bundleId', line: 2, column: 15, ref: { key: 'dm.identifierInvisibleChar', params: { field: 'bundleId', code: 'U+0020' } } }),
            expect.objectContaining({ severity: 'error', pointer: '/displayName', line: 3, column: 18, ref: { key: 'dm.localeMapEmpty', params: { field: 'displayName' } } }),
          ],
        },
        { file: files.missing, error: { code: 'ENOENT', message: `cannot read ${files.missing}: no such file` } },
      ],
    })
  })

  it('reads standard input for "-", and refuses more than 5 MB of it', async () => {
    const c = capture()
    const text = JSON.stringify(PACKAGE)
    c.io.stdin = async function* () {
      yield text.slice(0, 100)
      yield Buffer.from(text.slice(100))
    }
    expect(await validateFiles(['-'], { json: false }, c.io)).toBe(0)
    const big = capture()
    big.io.stdin = async function* () {
      for (let i = 0; i < 6; i++) yield Buffer.alloc(1024 * 1024, 0x20)
    }
    expect(await validateFiles(['-'], { json: false }, big.io)).toBe(1)
    expect(big.out[0]).toBe('<stdin>:1:1: error: The package is 6 MB; packages larger than 5 MB are refused without being read')
  })

  describe('as a process', () => {
    const run = (args: string[], input = '') => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', input, timeout: 60_000 })
      return { code: r.status, out: r.stdout, err: r.stderr }
    }

    it('exits 0, 1 and 2 and prints the documented lines', () => {
      expect(run(['dm', 'validate', files['valid.json']!, files['warning.json']!])).toMatchObject({ code: 0, err: '2 files: 2 valid, 0 invalid (0 errors, 1 warning shown)\n' })
      const invalid = run(['dm', 'validate', files['invalid.json']!])
      expect(invalid.code).toBe(1)
      expect(invalid.out.split('\n')[0]).toBe(
        `${files['invalid.json']}:2:15: error: "bundleId" contains a space or another invisible character (U+0020): only letters, digits, '-', '_' and '.' are allowed (/bundleId)`,
      )
      const unreadable = run(['dm', 'validate', files['valid.json']!, files.missing!])
      expect(unreadable.code).toBe(2)
      expect(unreadable.err).toContain(`fieldline: cannot read ${files.missing}: no such file`)
      expect(run(['dm', 'validate']).code).toBe(2) // no file: bad usage
      // It never opens the workspace: the data directory it was given is not even created.
      expect(run(['--data-dir', join(dir, 'workspace-never-opened'), 'dm', 'validate', files['valid.json']!]).code).toBe(0)
      expect(existsSync(join(dir, 'workspace-never-opened'))).toBe(false)
    })

    it('accepts --json after the command or program-wide, and "-" for standard input', () => {
      for (const args of [
        ['dm', 'validate', '--json', files['invalid.json']!],
        ['--json', 'dm', 'validate', files['invalid.json']!],
      ]) {
        const r = run(args)
        expect(r.code).toBe(1)
        expect(JSON.parse(r.out)).toMatchObject({ files: [{ file: files['invalid.json'], valid: false }] })
      }
      expect(run(['dm', 'validate', '-'], JSON.stringify(PACKAGE))).toMatchObject({ code: 0, out: '' })
      expect(run(['dm', 'validate', '-'], '{"bundleId": 1}').out).toContain('<stdin>:1:14: error: "bundleId" must be of type string (/bundleId)')
    })
  })
})
