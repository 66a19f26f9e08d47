#!/usr/bin/env node
/**
 * `npm run test:package` (part of `npm test`): the packaging checks that need no Electron download.
 * 1. electron-builder.yml is loaded and validated by electron-builder's own loader and JSON schema.
 * 2. electron-builder packages the Linux app for real (`dir` target: every step before an installer format),
 *    with the project's config and afterPack hook, but with a stand-in for the Electron binary: a file holding
 *    Electron's fuse wire at its factory settings. Native modules are not rebuilt (that needs Electron's
 *    headers from the network; CI does it).
 * 3. scripts/packaging/verify-package.mjs checks the result: fuses flipped, app.asar contents, native
 *    modules resolvable and built for linux x64.
 * What this cannot show (a real Electron starting from the package, the installers, signing, notarisation,
 * macOS and Windows) is CI's job: .github/workflows/desktop.yml.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import builder from 'electron-builder'
import configLoader from 'app-builder-lib/out/util/config/config.js'
import { verifyPackage } from './verify-package.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
/** Electron's factory fuse states (RunAsNode on, cookie encryption off, NODE_OPTIONS and --inspect on, …). */
const FACTORY_WIRE = '101100011'

function fail(message) {
  process.stderr.write(`check-offline: ${message}\n`)
  process.exit(1)
}

async function validateConfig() {
  const config = await configLoader.getConfig(root, join(root, 'electron-builder.yml'), null)
  await configLoader.validateConfiguration(config, { isEnabled: false, add() {} })
  if (config.afterPack !== './scripts/packaging/after-pack.mjs') fail('electron-builder.yml no longer runs the fuse hook as afterPack')
  return config
}

function standInElectron(dir) {
  mkdirSync(join(dir, 'resources'), { recursive: true })
  writeFileSync(join(dir, 'electron'), Buffer.concat([Buffer.alloc(4096, 0x7f), Buffer.from(SENTINEL), Buffer.from([1, FACTORY_WIRE.length]), Buffer.from(FACTORY_WIRE), Buffer.alloc(512)]), {
    mode: 0o755,
  })
  writeFileSync(join(dir, 'LICENSE'), 'stand-in for the Electron binary (check-offline.mjs)\n')
  writeFileSync(join(dir, 'version'), JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version)
}

const work = mkdtempSync(join(tmpdir(), 'fieldline-package-'))
let keep = false
try {
  const config = await validateConfig()
  process.stdout.write(`check-offline: electron-builder.yml valid (${config.appId}, ${config.productName})\n`)
  const electronDist = join(work, 'electron')
  standInElectron(electronDist)
  const output = join(work, 'dist')
  await builder.build({
    projectDir: root,
    targets: builder.Platform.LINUX.createTarget('dir', builder.Arch.x64),
    config: { electronDist, npmRebuild: false, directories: { output } },
    publish: 'never',
  })
  const failures = await verifyPackage({ appOutDir: join(output, 'linux-unpacked'), platform: 'linux', arch: 'x64' })
  if (failures.length > 0) {
    keep = true
    fail(`the Linux package in ${output} is not as it should be:\n  ${failures.join('\n  ')}`)
  }
  process.stdout.write('check-offline: Linux package (stand-in Electron): fuses set, app.asar and native modules as expected\n')
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true })
}
