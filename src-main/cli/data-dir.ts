import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

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
