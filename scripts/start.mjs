#!/usr/bin/env node
/**
 * `npm start` (after the build): runs the desktop app when an Electron runtime is installed, and serve
 * mode otherwise. The runtime is found without require('electron'), which tries to download it and
 * throws where it cannot be downloaded (our build machines).
 *
 * Usage: node scripts/start.mjs [args…]; the args go to Electron, or to `fieldline serve`.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findElectronRuntime } from './electron-runtime.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)

function run(command, commandArgs, env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env })

  // Like electron's own cli.js: a signal sent to this wrapper alone (a supervisor, `kill <pid>`) must
  // reach the app, which closes its workspace cleanly on SIGINT/SIGTERM.
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  const signals = ['SIGINT', 'SIGTERM']
  for (const signal of signals) process.on(signal, forward)

  child.on('error', (error) => {
    process.stderr.write(`Fieldline: could not start ${command}: ${error.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward)
    if (signal) {
      // Die of the same signal, so whoever started `npm start` sees how the app ended.
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}

const electron = findElectronRuntime()
if (electron.binary) {
  const env = { ...process.env }
  // Set by some tool chains; it would make Electron run the app as a plain Node script.
  delete env.ELECTRON_RUN_AS_NODE
  run(electron.binary, ['.', ...args], env)
} else {
  const cli = join(root, 'out', 'main', 'cli.js')
  if (!existsSync(cli)) {
    process.stderr.write('Fieldline: out/main/cli.js is missing; run `npm run build` first.\n')
    process.exit(1)
  }
  process.stderr.write(`Fieldline: ${electron.reason}; starting serve mode instead.\n`)
  run(process.execPath, [cli, 'serve', ...args], process.env)
}
