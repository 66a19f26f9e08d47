import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FuseState, FuseV1Options, getCurrentFuseWire, type FuseConfig } from '@electron/fuses'
import { afterAll, describe, expect, it } from 'vitest'
import { applyFuses, FUSES, packagedElectronPath, type FuseContext } from '../../scripts/packaging/fuses.mjs'

/** The fuse configuration the packaged app must have. Relaxing one of these is a security decision, not a tweak. */
const REQUIRED: Record<string, boolean> = {
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  GrantFileProtocolExtraPrivileges: false,
}

const fuseNames = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k))) as (keyof typeof FuseV1Options)[]
const configured = FUSES as unknown as Record<number, boolean | undefined>

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const work = mkdtempSync(join(tmpdir(), 'fieldline-fuses-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/**
 * A stand-in for the Electron binary: bytes around the fuse wire as Electron lays it out (the sentinel, the wire
 * version, its length, one byte per fuse), with Electron's defaults: RunAsNode, cookie encryption off, NODE_OPTIONS,
 * --inspect on, asar checks off, file:// privileges and wasm trap handlers on.
 */
function fakeElectron(path: string, wire = '101100011'): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, Buffer.concat([Buffer.alloc(4096, 0x7f), Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire), Buffer.alloc(512, 0)]))
  return path
}

async function wireOf(path: string): Promise<Record<string, string>> {
  const wire = (await getCurrentFuseWire(path)) as unknown as Record<number, number>
  return Object.fromEntries(fuseNames.map((name) => [name, wire[FuseV1Options[name]] === FuseState.ENABLE ? 'on' : 'off']))
}

describe('fuse configuration', () => {
  it.each(Object.entries(REQUIRED))('sets %s to %s', (name, value) => {
    expect(configured[FuseV1Options[name as keyof typeof FuseV1Options]]).toBe(value)
  })

  it('sets every fuse this @electron/fuses knows, and refuses a binary with one it does not', () => {
    expect(FUSES.strictlyRequireAllFuses).toBe(true)
    for (const name of fuseNames) expect(typeof configured[FuseV1Options[name]], name).toBe('boolean')
  })
})

describe('afterPack fuse step', () => {
  const linux = (dir: string): FuseContext => ({ appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager: { appInfo: { productFilename: 'Fieldline' }, executableName: 'fieldline' } })

  it('flips the wire of the packaged Linux executable to the configuration', async () => {
    const dir = join(work, 'linux-unpacked')
    const binary = fakeElectron(join(dir, 'fieldline'))
    expect(await applyFuses(linux(dir))).toBe(binary)
    const expected = Object.fromEntries(fuseNames.map((name) => [name, configured[FuseV1Options[name]] ? 'on' : 'off']))
    expect(await wireOf(binary)).toEqual(expected)
    expect((await wireOf(binary)).RunAsNode).toBe('off')
  })

  it('finds the Windows executable and the macOS framework that hold the wire', async () => {
    const win = join(work, 'win-unpacked')
    fakeElectron(join(win, 'Fieldline.exe'))
    await applyFuses({ ...linux(win), electronPlatformName: 'win32' })
    expect((await wireOf(join(win, 'Fieldline.exe'))).EnableNodeOptionsEnvironmentVariable).toBe('off')

    const mac = join(work, 'mac')
    const framework = fakeElectron(join(mac, 'Fieldline.app', 'Contents', 'Frameworks', 'Electron Framework.framework', 'Electron Framework'))
    expect(packagedElectronPath({ ...linux(mac), electronPlatformName: 'darwin' })).toBe(join(mac, 'Fieldline.app'))
    await applyFuses({ ...linux(mac), electronPlatformName: 'darwin' })
    expect((await wireOf(framework)).OnlyLoadAppFromAsar).toBe('on')
  })

  it('re-signs ad hoc on Apple silicon and universal builds only', async () => {
    const seen: boolean[] = []
    const flip = async (_path: string, config: FuseConfig) => {
      seen.push(config.resetAdHocDarwinSignature === true)
      return 1
    }
    for (const [platform, arch] of [
      ['darwin', 3],
      ['darwin', 4],
      ['darwin', 1],
      ['mas', 3],
      ['linux', 3],
      ['win32', 5],
    ] as const) {
      await applyFuses({ ...linux(work), electronPlatformName: platform, arch }, flip)
    }
    expect(seen).toEqual([true, true, false, true, false, false])
  })

  it('fails the packaging when the binary has a fuse nobody decided on', async () => {
    const dir = join(work, 'future')
    fakeElectron(join(dir, 'fieldline'), '1011000110')
    await expect(applyFuses(linux(dir))).rejects.toThrow(/strictlyRequireAllFuses/)
  })

  it('fails the packaging when there is no fuse wire at all', async () => {
    const dir = join(work, 'none')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'fieldline'), 'not electron')
    await expect(applyFuses(linux(dir))).rejects.toThrow(/sentinel/)
  })
})
