/**
 * A data folder opened as a copy of another still in its place (the core gave it its own workspace id and its own
 * copies of the secrets as it opened): said once, in a notice that stays until dismissed, so the operator knows the
 * two no longer share their secrets. Said once per browser profile (serve mode's page may be loaded again).
 */
import { notices } from './notices.svelte'
import type { AppInfo } from './app.svelte'

const SEEN_KEY = 'fieldline.workspaceCopySeen'

export function announceWorkspaceCopy(info: AppInfo): void {
  const copy = info.workspaceCopy
  if (!copy) return
  const key = `${info.dataDir}@${copy.at}`
  try {
    if (localStorage.getItem(SEEN_KEY) === key) return
    localStorage.setItem(SEEN_KEY, key)
  } catch {
    // Storage refused (private mode, full): the notice may come again at the next load, which is harmless.
  }
  // Kept until dismissed (an error's notice): said once, it must not vanish before it is read.
  notices.push('error', (t) => t('startup.workspaceCopied', { values: { original: copy.original } }))
}
