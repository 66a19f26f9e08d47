/**
 * After a crash, the imports the last run of the core did not end: said once, in a notice that stays until dismissed,
 * with the way to finish them. The core recorded them in Activity as it opened; the notice is for the operator who is
 * not looking there. Each is said once per browser profile (serve mode's page may be loaded again and again).
 */
import { get } from 'svelte/store'
import { locale } from 'svelte-i18n'
import { refusedRows } from '../../../../src-shared/models/import-counts'
import { api } from '../api'
import { formatDateTime } from '../format'
import { notices } from './notices.svelte'

const SEEN_KEY = 'fieldline.interruptedImportsSeen'
/** The last imports said: enough to never repeat one, small enough to never grow. */
const SEEN_KEPT = 20

function seenBefore(): string[] {
  try {
    const seen: unknown = JSON.parse(localStorage.getItem(SEEN_KEY) ?? '[]')
    return Array.isArray(seen) ? seen.filter((s): s is string => typeof s === 'string') : []
  } catch {
    return []
  }
}

export async function announceInterruptedImports(): Promise<void> {
  const result = await api.invoke('import:interrupted', {})
  if (!result.ok) return
  const seen = seenBefore()
  for (const i of result.value.items) {
    const key = `${i.fileName}@${i.startedAt}`
    if (seen.includes(key)) continue
    seen.push(key)
    notices.push('error', (t) => {
      // Worded as the finished import's counts; an earlier build's record did not count the devices already there apart.
      const { rows, added, failed, existing } = i
      const counts =
        existing === undefined ? t('import.countsUnsplit', { values: { rows, added, failed } }) : t('import.counts', { values: { rows, added, existing, refused: refusedRows({ failed, existing }) } })
      return t('import.interrupted', { values: { file: i.fileName, time: formatDateTime(i.startedAt, get(locale)), counts } })
    })
  }
  try {
    localStorage.setItem(SEEN_KEY, JSON.stringify(seen.slice(-SEEN_KEPT)))
  } catch {
    // Storage refused (private mode, full): the notice may come again at the next load, which is harmless.
  }
}
