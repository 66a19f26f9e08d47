import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Finds the Electron runtime without require('electron'), which tries to download it and throws where it
 * cannot be downloaded (our build machines). Mirrors electron/index.js (path.txt,
 * ELECTRON_OVERRIDE_DIST_PATH) minus its download fallback. Used by `npm start` and the e2e fixtures.
 */
export function findElectronRuntime() {
  const pkg = join(root, 'node_modules', 'electron')
  const pathFile = join(pkg, 'path.txt')
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : override ? 'electron' : null
  if (!relative) return { reason: 'the Electron runtime is not installed here (node_modules/electron/dist missing)' }
  const binary = join(override || join(pkg, 'dist'), relative)
  try {
    accessSync(binary, constants.X_OK)
    return { binary }
  } catch {
    return { reason: `the Electron runtime is not installed here (${override ? binary : `node_modules/electron/dist/${relative}`} missing or not executable)` }
  }
}
