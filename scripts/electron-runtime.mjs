import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Finds the Electron runtime without require('electron'), which would try to download it and throw on a
 * machine where that is impossible. Returns the binary path, or a reason why there is none.
 */
export function findElectronRuntime(root = process.cwd()) {
  const pkg = join(root, 'node_modules', 'electron')
  const pathFile = join(pkg, 'path.txt')
  if (!existsSync(pathFile)) return { reason: 'the Electron runtime is not installed here (node_modules/electron/dist missing)' }
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim())
  if (!existsSync(binary)) return { reason: `the Electron runtime is not installed here (${binary} missing)` }
  return { binary }
}
