#!/usr/bin/env node
/**
 * Checks a packaged app the way electron-builder left it (the unpacked folder beside the installers):
 * - the fuse wire of its Electron binary is exactly FUSES (scripts/packaging/fuses.mjs);
 * - Electron can only load resources/app.asar (no app folder, no default_app.asar), and the archive holds the
 *   build and production dependencies only, with package.json's main present;
 * - every native module the app loads (src-main/electron/native-modules.ts) resolves, inside the archive, the way
 *   Node resolves it, to a binary that is unpacked and built for the target system and processor;
 * - on macOS, the ASAR integrity the fuse checks is in Info.plist, and .json is an "Open With" type only.
 * Run offline by check-offline.mjs on a Linux package of a stand-in Electron, and by CI on every real package.
 *
 * Usage: node scripts/packaging/verify-package.mjs <appOutDir> <linux|win32|darwin> <x64|arm64>
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { pathToFileURL } from 'node:url'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'
import asar from 'app-builder-lib/out/asar/asar.js'
import { NATIVE_MODULES } from '../../src-main/electron/native-modules.ts'
import { FUSES, packagedElectronPath } from './fuses.mjs'

/** Packages only the build, tests or packaging use; finding one in app.asar means devDependencies leaked in. */
const DEV_ONLY = ['electron', 'electron-builder', 'electron-vite', 'vite', 'vitest', '@playwright/test', 'playwright-core', 'typescript', 'svelte', 'monaco-editor', 'node']

/** The processor a native binary was built for, from its header: ELF (Linux), Mach-O (macOS), PE (Windows). */
export function binaryTargets(bytes) {
  const elf = { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'arm', 0x03: 'ia32' }
  const macho = { 0x01000007: 'x64', 0x0100000c: 'arm64' }
  const pe = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }
  if (bytes.length >= 20 && bytes.readUInt32BE(0) === 0x7f454c46) return { platform: 'linux', archs: [elf[bytes.readUInt16LE(18)] ?? 'unknown'] }
  if (bytes.length >= 8 && bytes.readUInt32LE(0) === 0xfeedfacf) return { platform: 'darwin', archs: [macho[bytes.readUInt32LE(4)] ?? 'unknown'] }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xcafebabe) {
    const count = bytes.readUInt32BE(4)
    return { platform: 'darwin', archs: Array.from({ length: count }, (_, i) => macho[bytes.readUInt32BE(8 + 20 * i)] ?? 'unknown') }
  }
  if (bytes.length >= 0x40 && bytes.toString('latin1', 0, 2) === 'MZ') {
    const at = bytes.readUInt32LE(0x3c)
    if (bytes.toString('latin1', at, at + 4) === 'PE\0\0') return { platform: 'win32', archs: [pe[bytes.readUInt16LE(at + 4)] ?? 'unknown'] }
  }
  return { platform: 'unknown', archs: [] }
}

/** A node of the archive's tree, or null (the reader throws for a path whose folder is missing). */
function lookup(archive, path) {
  try {
    return archive.getNode(path) ?? null
  } catch {
    return null
  }
}

function resourcesDir(appOutDir, platform, productFilename) {
  return platform === 'darwin' ? join(appOutDir, `${productFilename}.app`, 'Contents', 'Resources') : join(appOutDir, 'resources')
}

/** Node's resolution of `name` from the package folder `from`, over the archive's tree. */
function resolvePackage(archive, from, name) {
  for (let dir = from; ; dir = posix.dirname(dir)) {
    const candidate = posix.join(dir, 'node_modules', name)
    if (!dir.endsWith('/node_modules') && lookup(archive, posix.join(candidate, 'package.json'))) return candidate
    if (dir === '.' || dir === '/' || dir === '') return null
  }
}

function filesUnder(archive, dir) {
  const node = lookup(archive, dir)
  return node?.files ? Object.keys(node.files) : []
}

/** The binary node-gyp-build or bindings would load: build/Release first, then the prebuild for this target. */
function nativeBinary(archive, pkg, platform, arch) {
  const release = filesUnder(archive, posix.join(pkg, 'build', 'Release')).find((f) => f.endsWith('.node'))
  if (release) return posix.join(pkg, 'build', 'Release', release)
  const prebuilds = filesUnder(archive, posix.join(pkg, 'prebuilds'))
  const folder =
    prebuilds.find((d) => d === `${platform}-${arch}`) ??
    prebuilds.find(
      (d) =>
        d.startsWith(`${platform}-`) &&
        d
          .slice(platform.length + 1)
          .split('+')
          .includes(arch),
    )
  if (!folder) return null
  const binaries = filesUnder(archive, posix.join(pkg, 'prebuilds', folder)).filter((f) => f.endsWith('.node') && !f.includes('musl'))
  return binaries[0] ? posix.join(pkg, 'prebuilds', folder, binaries[0]) : null
}

export async function verifyPackage({ appOutDir, platform, arch, productFilename = 'Fieldline', executableName = 'fieldline' }) {
  const failures = []
  const fail = (message) => failures.push(message)
  const resources = resourcesDir(appOutDir, platform, productFilename)

  const electronPath = packagedElectronPath({ appOutDir, electronPlatformName: platform, packager: { appInfo: { productFilename }, executableName } })
  const wire = await getCurrentFuseWire(electronPath)
  for (const [name, index] of Object.entries(FuseV1Options).filter(([k]) => Number.isNaN(Number(k)))) {
    if (wire[index] === undefined) continue
    const actual = wire[index] === 49 ? true : wire[index] === 48 ? false : `state ${wire[index]}`
    if (actual !== FUSES[index]) fail(`fuse ${name} is ${actual}, expected ${FUSES[index]}`)
  }

  const asarPath = join(resources, 'app.asar')
  if (!existsSync(asarPath)) return [...failures, `${asarPath} is missing`]
  if (existsSync(join(resources, 'app'))) fail('resources/app exists beside app.asar')
  if (existsSync(join(resources, 'default_app.asar'))) fail('resources/default_app.asar is still there')

  const archive = await asar.readAsar(asarPath)
  const top = Object.keys(archive.header.files).sort()
  if (JSON.stringify(top) !== JSON.stringify(['node_modules', 'out', 'package.json'])) fail(`app.asar holds ${top.join(', ')}; only out, node_modules and package.json belong there`)
  const manifest = JSON.parse((await archive.readFile('package.json')).toString('utf8'))
  const main = posix.normalize(manifest.main ?? '')
  for (const file of [main, 'out/preload/index.cjs', 'out/renderer/index.html']) if (!lookup(archive, file)) fail(`app.asar lacks ${file}`)
  for (const name of DEV_ONLY) if (lookup(archive, posix.join('node_modules', name, 'package.json'))) fail(`app.asar holds the devDependency ${name}`)

  for (const module of NATIVE_MODULES) {
    const chain = [...module.via, module.name].join(' > ')
    let dir = '.'
    for (const step of [...module.via, module.name]) {
      dir = resolvePackage(archive, dir, step)
      if (!dir) break
    }
    if (!dir) {
      fail(`${chain}: not in app.asar`)
      continue
    }
    const binary = nativeBinary(archive, dir, platform, arch)
    if (!binary) {
      fail(`${chain} (${dir}): no binary for ${platform}-${arch}`)
      continue
    }
    const unpacked = join(`${asarPath}.unpacked`, ...binary.split('/'))
    if (!lookup(archive, binary)?.unpacked || !existsSync(unpacked)) {
      fail(`${chain}: ${binary} is not unpacked beside the archive`)
      continue
    }
    const target = binaryTargets(readFileSync(unpacked))
    if (target.platform !== platform || !target.archs.includes(arch)) fail(`${chain}: ${binary} is built for ${target.platform} ${target.archs.join('+') || '?'}, not ${platform} ${arch}`)
  }

  if (platform === 'darwin') {
    const plist = readFileSync(join(appOutDir, `${productFilename}.app`, 'Contents', 'Info.plist'), 'utf8')
    if (!plist.includes('ElectronAsarIntegrity')) fail('Info.plist has no ElectronAsarIntegrity: the integrity fuse would refuse to start')
    if (!/<key>LSHandlerRank<\/key>\s*<string>Alternate<\/string>/.test(plist)) fail('Info.plist does not keep .json an Alternate ("Open With") type')
  }
  return failures
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [appOutDir, platform, arch] = process.argv.slice(2)
  if (!appOutDir || !['linux', 'win32', 'darwin'].includes(platform) || !['x64', 'arm64'].includes(arch)) {
    process.stderr.write('usage: verify-package.mjs <appOutDir> <linux|win32|darwin> <x64|arm64>\n')
    process.exit(2)
  }
  const failures = await verifyPackage({ appOutDir, platform, arch })
  for (const f of failures) process.stderr.write(`verify-package: ${f}\n`)
  if (failures.length > 0) process.exit(1)
  process.stdout.write(`verify-package: ${appOutDir} (${platform} ${arch}): fuses, app.asar and ${NATIVE_MODULES.length} native modules as expected\n`)
}
