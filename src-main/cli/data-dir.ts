import { mkdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { PRIVATE_DIR_MODE } from '../core/common/private-fs'
import { cannotCreateWords } from './file-problems'

/**
 * The CLI and serve mode default to the directory Electron uses as userData for "Fieldline", so the desktop
 * app, the CLI and serve mode on one machine share a workspace.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FIELDLINE_DATA_DIR) return resolve(env.FIELDLINE_DATA_DIR)
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Fieldline')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Fieldline')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Fieldline')
}

/**
 * Makes sure `dir` can be the data folder before the core opens it, and says why not: a file there, or a folder that
 * cannot be created (the CLI refuses it with exit 2). Cold trial: `--data-dir` naming a file said "EEXIST: file already
 * exists, mkdir …", and one under a read-only mount "ENOENT: no such file or directory, mkdir …" (a recursive mkdir's
 * answer), each after a warning about the log file. The missing folders are made one by one, so the refusal is the
 * real one (EROFS, EACCES, ENOTDIR). A folder that exists is the core's to check: a read-only one is opened read-only.
 */
export function dataDirProblem(dir: string): string | null {
  const refusal = (why: string): string => `fieldline: cannot use ${dir} as the data folder: ${why}; give another with --data-dir or FIELDLINE_DATA_DIR`
  const missing: string[] = []
  for (let d = resolve(dir); ; d = dirname(d)) {
    const found = statSync(d, { throwIfNoEntry: false })
    if (found) {
      if (!found.isDirectory()) return refusal(missing.length === 0 ? 'it is a file, not a folder' : `${d} is a file, not a folder`)
      break
    }
    missing.unshift(d)
    if (dirname(d) === d) break
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: PRIVATE_DIR_MODE })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return refusal(cannotCreateWords(e))
    }
  }
  return null
}
