import type { AuditEntry, AuditOutcome } from '../../../../src-shared/contract'
import { hasMessage, LANGUAGES, translateRef, type Translate } from '../../i18n'
import { errorText } from '../../lib/errors'
import { statusText } from '../sim/sim-text'
import { operationText } from '../jobs/job-text'
import { JOB_OPERATIONS, type JobOperation } from '../../../../src-shared/models/sim-jobs'
import { refusedRows } from '../../../../src-shared/models/import-counts'

/** Actions are codes like "device.add"; their words are `activity.actions.device_add`. */
export function actionKey(action: string): string {
  return `activity.actions.${action.replace(/[^A-Za-z0-9]/g, '_')}`
}

/** An action in words; one this release does not know (written by a newer one) says so, never shows its code. */
export function actionText(t: Translate, action: string): string {
  const key = actionKey(action)
  return hasMessage(key) ? t(key) : t('activity.unknownAction')
}

export function outcomeText(t: Translate, outcome: AuditOutcome): string {
  return t(`activity.outcome.${outcome}`)
}

/** Tone of an outcome's cell: a change still waiting is neither good nor bad. */
export function outcomeTone(outcome: AuditOutcome): 'good' | 'bad' | 'wait' {
  if (outcome === 'ok' || outcome === 'sent') return 'good'
  if (outcome === 'queued' || outcome === 'discarded') return 'wait'
  return 'bad'
}

/**
 * Who made the change, and through which profile: "alice", "alice (CLI)", "Fieldline", "alice via Jasper ops".
 * Fieldline itself acts as `fieldline` or `fieldline:<why>` (a job resumed after a restart).
 */
export function actorText(t: Translate, entry: Pick<AuditEntry, 'actor' | 'via'>): string {
  const app = entry.actor === 'fieldline' || entry.actor.startsWith('fieldline:')
  const who = app ? t('activity.actorApp') : entry.actor.startsWith('cli:') ? t('activity.actorCli', { values: { user: entry.actor.slice(4) } }) : entry.actor
  return entry.via ? t('activity.actorVia', { values: { actor: who, via: entry.via } }) : who
}

/**
 * The person or thing concerned: by the name it had when the change was made; a job by its operation and number of
 * SIMs and several notifications by their count, in the operator's words; else as the trail addresses it.
 */
export function subjectText(t: Translate, entry: Pick<AuditEntry, 'action' | 'subject' | 'target' | 'after'>): string {
  if (entry.subject) return entry.subject
  const after = scalars(entry.after)
  if (entry.action.startsWith('jobs.') && typeof after.rows === 'number' && (JOB_OPERATIONS as readonly unknown[]).includes(after.operation)) {
    return t('activity.subjects.job', { values: { operation: operationText(t, after.operation as JobOperation), rows: after.rows } })
  }
  if (entry.action.startsWith('inbox.') && typeof after.count === 'number') return t('activity.subjects.notifications', { values: { count: after.count } })
  // The trail addresses them as `settings`, an English word in any language: they are this computer's own (_local).
  if (entry.action === 'settings.update') return t('activity.subjects.settings')
  const row = JOB_ROW_TARGET.exec(entry.target)
  if (row) return t('activity.subjects.simOfJob', { values: { sim: row[1]!, job: row[2]! } })
  return entry.target
}

/** A SIM a bulk job changed, as the job's runner addresses it in the trail (`jasper:8988… (job jx81k2p0)`). */
const JOB_ROW_TARGET = /^(\S+) \(job (\S+)\)$/

/** Whether the subject is the trail's own address (shown in a code font) rather than words; a job's SIM is one too. */
export const subjectIsAddress = (t: Translate, entry: Pick<AuditEntry, 'action' | 'subject' | 'target' | 'after'>): boolean =>
  subjectText(t, entry) === entry.target || (!entry.subject && JOB_ROW_TARGET.test(entry.target))

/** The first-level words and numbers of `after`, for a detail message's placeholders. */
function scalars(value: unknown): Record<string, string | number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}
  const out: Record<string, string | number> = {}
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string' || typeof v === 'number') out[name] = v
  return out
}

/**
 * What else the operator should know, in their language: why it failed (the core's error, translated), else the
 * action's own summary of what changed (`activity.details.<action>` filled from the entry), else the text an older
 * release wrote.
 */
export function detailText(t: Translate, entry: Pick<AuditEntry, 'action' | 'after' | 'error' | 'detail'>): string {
  if (entry.error) return errorText(t, entry.error)
  if (entry.action === 'settings.update') return settingsChangeText(t, entry.after)
  const params = scalars(entry.after)
  // An import the operator cancelled ends as a failed import; its detail says it was cancelled, and what stays.
  const cancelled = typeof entry.after === 'object' && entry.after !== null && (entry.after as { cancelled?: unknown }).cancelled === true
  // An import cut short that an earlier build recorded did not count the devices already there apart from `failed`.
  const unsplit = entry.action === 'devices.import.interrupted' && typeof params.existing !== 'number'
  const variant = entry.action === 'devices.import' && cancelled ? '_cancelled' : unsplit ? '_unsplit' : ''
  const key = actionKey(entry.action).replace('activity.actions.', 'activity.details.') + variant
  if (hasMessage(key)) {
    if (typeof params.status === 'string') params.status = statusText(t, params.status)
    // An import's `failed` counts the devices already there too, which are not refused rows: said apart (an entry
    // written before `existing` was recorded has none).
    if (entry.action.startsWith('devices.import') && typeof params.failed === 'number') {
      const existing = typeof params.existing === 'number' ? params.existing : 0
      params.existing = existing
      params.refused = refusedRows({ failed: params.failed, existing })
    }
    const text = translateRef(t, { key, params }, '')
    if (text) return text
  }
  return entry.detail ?? ''
}

/**
 * A settings change holds only what changed (settings.store.ts): each of those said, the language and theme by the
 * names Settings gives them (a language named in itself, as its list shows it).
 */
function settingsChangeText(t: Translate, after: unknown): string {
  if (typeof after !== 'object' || after === null) return ''
  const changed = after as Record<string, unknown>
  const parts: string[] = []
  const language = LANGUAGES.find((l) => l.value === changed.language)
  if (language) parts.push(t('activity.settingsChanges.language', { values: { language: language.label } }))
  if (changed.theme === 'system' || changed.theme === 'light' || changed.theme === 'dark') parts.push(t('activity.settingsChanges.theme', { values: { theme: t(`settings.themes.${changed.theme}`) } }))
  if ('savedSearches' in changed) parts.push(t('activity.settingsChanges.savedSearches'))
  return parts.join(' · ')
}
