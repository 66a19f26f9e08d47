import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/core'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))

describe('fieldline CLI', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const run = (args: string[], stdin?: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], { encoding: 'utf8', input: stdin ?? '', timeout: 60_000 })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterAll(async () => cleanup())

  it('prints its version and refuses bad usage with exit 2', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
    expect(run(['--frobnicate']).code).toBe(2)
    expect(run(['devices', 'add', 'only-type']).code).toBe(2)
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

  it('imports a file and reports refused rows with file:line on stderr', async () => {
    const file = join(dir, 'in.csv')
    await writeFile(file, 'typeId,deviceId,carrier,iccid\nmeter,a,jasper,8988216716970004973\nmeter,b,jasper,8.98822E+18\n')
    const r = run(['devices', 'import', file])
    expect(r.code).toBe(2)
    expect(r.out).toContain('1 added, 1 refused, 2 rows read')
    expect(r.err).toContain(`${file}:3: error: ICCID "8.98822E+18" was turned into a number by a spreadsheet`)
    expect(run(['devices', 'import', join(dir, 'missing.csv')]).code).toBe(2)
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
})
