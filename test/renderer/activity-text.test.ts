/**
 * The Activity page never shows a raw action code (package.add, device.supportedBundles), and says who, what and how it
 * ended in the operator's language. Every action the core can write — each one its sources name, with the ones built
 * at run time (a queued or discarded outbox change, a restored trash item) — reads as words in English and French.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { AUDIT_OUTCOMES, OUTBOX_ACTIONS, type AuditEntry } from '../../src-shared/contract'
import { trashItemKindSchema } from '../../src-shared/models/trash'
import { flatten, type Catalogue, type Translate } from '../../src-renderer/src/i18n'
import { actionText, actorText, detailText, outcomeText, subjectIsAddress, subjectText } from '../../src-renderer/src/features/activity/activity-text'

const root = new URL('../../', import.meta.url).pathname
const en = flatten(JSON.parse(readFileSync(join(root, 'src-renderer/src/i18n/en.json'), 'utf8')) as Catalogue)
const t: Translate = (key, options) => get(format)(key, options)

/**
 * Every dotted code the core's sources write as an action: a literal on a line that speaks of an action (`action:`,
 * `AUDIT_ACTION`, a ternary between two actions), less the message keys such a line may also name (`jobs.wrongState`).
 */
function actionsInSources(): Set<string> {
  const found = new Set<string>()
  for (const dir of ['src-main/core', 'src-main/cli']) {
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue
      for (const line of readFileSync(join(root, dir, file), 'utf8').split('\n')) {
        if (!/action/i.test(line)) continue
        for (const [, code] of line.matchAll(/'([a-z]+(?:\.[a-zA-Z]+)+)'/g)) if (!en.has(code!)) found.add(code!)
      }
    }
  }
  for (const action of OUTBOX_ACTIONS) for (const suffix of ['queued', 'discarded']) found.add(`${action}.${suffix}`)
  for (const item of trashItemKindSchema.options) found.add(`${item}.restore`)
  return found
}

const ACTIONS = actionsInSources()

describe('action names', () => {
  it('finds the actions the core writes (the scan itself works)', () => {
    for (const known of [
      'device.add',
      'device.supportedBundles',
      'package.add',
      'sim.changeStatus.queued',
      'invitation.create',
      'vault.set',
      'jobs.run',
      'trash.purge',
      'profile.restore',
      'mbed.subscription.subscribe',
    ])
      expect(ACTIONS, known).toContain(known)
    expect(ACTIONS.size).toBeGreaterThan(90)
  })

  for (const language of ['en', 'fr'] as const) {
    it(`reads every one as words in ${language}, never as its code`, () => {
      locale.set(language)
      const raw: string[] = []
      for (const action of ACTIONS) {
        const text = actionText(t, action)
        if (text === t('activity.unknownAction') || text.includes(action) || /\b[a-z]+\.[a-zA-Z]+\b/.test(text)) raw.push(action)
      }
      expect(raw).toEqual([])
    })
  }

  it('says an action a newer release wrote without showing its code', () => {
    locale.set('en')
    expect(actionText(t, 'gizmo.frobnicate')).toBe('Change recorded by a newer version of Fieldline')
  })
})

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: 'audit:x',
  at: '2026-12-05T10:00:00.000Z',
  actor: 'alice',
  action: 'sim.changeStatus.queued',
  target: 'jasper:8988 (meter/m-1)',
  outcome: 'queued',
  ...over,
})

describe('who, what and how it ended', () => {
  it('names every outcome in both languages', () => {
    for (const language of ['en', 'fr']) {
      locale.set(language)
      for (const outcome of AUDIT_OUTCOMES) expect(outcomeText(t, outcome)).not.toMatch(/^activity\./)
    }
    locale.set('en')
    expect(AUDIT_OUTCOMES.map((o) => outcomeText(t, o))).toEqual(['Succeeded', 'Failed', 'Queued', 'Sent', 'Outcome unknown', 'Discarded'])
  })

  it('names the actor, the profile the change went through, the CLI and the app itself', () => {
    locale.set('en')
    expect(actorText(t, { actor: 'alice', via: 'Jasper field ops' })).toBe('alice via Jasper field ops')
    expect(actorText(t, { actor: 'cli:bob' })).toBe('bob (command line)')
    expect(actorText(t, { actor: 'fieldline' })).toBe('Fieldline (automatic)')
    expect(actorText(t, { actor: 'fieldline:restart' })).toBe('Fieldline (automatic)')
    locale.set('fr')
    expect(actorText(t, { actor: 'cli:bob' })).toBe('bob (ligne de commande)')
  })

  it('names the person or thing concerned by the name it had, else by its address in the trail', () => {
    expect(subjectText(t, entry({ target: 'invitation/ef83a1', subject: 'Tess Field <tess@example.org>' }))).toBe('Tess Field <tess@example.org>')
    expect(subjectText(t, entry({ target: 'meter/m-1' }))).toBe('meter/m-1')
  })

  it('names a job by its operation and number of SIMs and several notifications by their count, never by a raw id', () => {
    const job = entry({ action: 'jobs.pause', target: 'job jx81k2p0', after: { operation: 'sms', rows: 120, state: 'paused' } })
    const read = entry({ action: 'inbox.read', target: 'inbox/3', after: { count: 3 } })
    locale.set('en')
    expect([subjectText(t, job), subjectText(t, read)]).toEqual(['Send SMS · 120 SIMs', '3 notifications'])
    locale.set('fr')
    expect(subjectText(t, job)).toBe(`${t('jobs.ui.operations.sms')} · 120 SIM`)
    expect(subjectText(t, entry({ action: 'jobs.run', target: 'job jx81k2p0', after: { operation: 'bogus', rows: 1 } }))).toBe('job jx81k2p0')
  })

  it('names a settings change in words, not as the trail’s English address `settings`, and says what changed', () => {
    const language = entry({ action: 'settings.update', target: 'settings', before: { language: 'en' }, after: { language: 'fr' } })
    const both = entry({ action: 'settings.update', target: 'settings', after: { theme: 'dark', savedSearches: [] } })
    locale.set('fr')
    expect(subjectText(t, language)).toBe('Réglages de cet ordinateur')
    expect(detailText(t, language)).toBe('Langue\u00a0: Français')
    expect(detailText(t, both)).toBe('Thème\u00a0: Sombre · Recherches enregistrées modifiées')
    locale.set('en')
    expect(subjectText(t, language)).toBe('This computer’s settings')
    expect(detailText(t, language)).toBe('Language: Français')
  })

  it('names a SIM a job changed by its address and the job, the word "job" in the operator’s language', () => {
    const row = entry({ action: 'sim.changeStatus', target: 'jasper:8901170013652292002 (job jmxd42rcc0e5597)' })
    locale.set('en')
    expect(subjectText(t, row)).toBe('jasper:8901170013652292002 (job jmxd42rcc0e5597)')
    expect(subjectIsAddress(t, row)).toBe(true)
    locale.set('fr')
    expect(subjectText(t, row)).toBe('jasper:8901170013652292002 (tâche jmxd42rcc0e5597)')
    expect(subjectIsAddress(t, row)).toBe(true)
    expect(subjectText(t, entry({ action: 'sim.changeStatus', target: 'jasper:8901170013652292002' }))).toBe('jasper:8901170013652292002')
  })

  it('translates details: the failure, the change made, never a code', () => {
    locale.set('fr')
    expect(detailText(t, entry({ action: 'vault.clear', outcome: 'ok', after: { wasSet: 'no' } }))).toBe('Il n’était pas enregistré.')
    expect(detailText(t, entry({ action: 'vault.clear', outcome: 'ok' }))).toBe('')
    expect(detailText(t, entry({ after: { status: 'deactivated' } }))).toBe('Nouvel état\u00a0: Désactivée.')
    const error = { code: 'NETWORK' as const, message: 'Cannot reach x: ECONNREFUSED', details: { ref: { key: 'errors.network', params: { host: 'cc.example:443', reason: 'ECONNREFUSED' } } } }
    expect(detailText(t, entry({ outcome: 'failed', error }))).toBe(
      'Impossible de joindre cc.example:443\u00a0: la connexion a été refusée. Vérifiez l’adresse et le port, et que le service est en marche.',
    )
    // An entry migrated from schema 1 keeps only the code: its meaning is said, not the code.
    expect(detailText(t, entry({ outcome: 'failed', error: { code: 'TIMEOUT', message: 'cc did not answer' } }))).toBe(t('errors.code.TIMEOUT'))
    locale.set('en')
    expect(detailText(t, entry({ action: 'devices.import', after: { jobId: 'j', rows: 10, added: 8, failed: 2 } }))).toBe('8 added, 2 refused of 10 rows.')
    // A file imported again: the devices already there are counted apart, not as refused rows (`failed` holds both).
    const again = entry({ action: 'devices.import', after: { jobId: 'j', rows: 1502, added: 1, failed: 1501, existing: 1500 } })
    expect(detailText(t, again)).toBe('1 added, 1,500 already there, 1 refused of 1,502 rows.')
    locale.set('fr')
    expect(detailText(t, again)).toBe('1 ajouté, 1\u202f500 déjà présents, 1 refusé sur 1\u202f502 lignes.')
    locale.set('en')
    // Counts in the operator's number format; a cancel said as such (it ends as a failed import).
    const cancelled = entry({ action: 'devices.import', outcome: 'failed', after: { jobId: 'j', rows: 79_006, added: 79_006, failed: 0, cancelled: true } })
    expect(detailText(t, cancelled)).toBe('Cancelled by the operator: 79,006 added (they stay), 0 refused of 79,006 rows read.')
    locale.set('fr')
    expect(detailText(t, cancelled)).toBe('Annulé par l’opérateur\u00a0: 79\u202f006 ajoutés (conservés), 0 refusé sur 79\u202f006 lignes lues.')
    expect(detailText(t, entry({ action: 'devices.import', after: { jobId: 'j', rows: 0, added: 0, failed: 0 } }))).toBe('0 ajouté, 0 refusé sur 0 ligne.')
    locale.set('en')
    // An import cut short: the devices already there said apart, unless an earlier build recorded it without the split.
    const cut = entry({ action: 'devices.import.interrupted', outcome: 'failed', after: { jobId: 'j', rows: 12, added: 5, failed: 7, existing: 6 } })
    expect(detailText(t, cut)).toBe('Cut short when Fieldline stopped: 5 added, 6 already there, 1 refused of 12 rows; the rest of the file was not imported.')
    const unsplit = entry({ action: 'devices.import.interrupted', outcome: 'failed', after: { jobId: 'j', rows: 12, added: 5, failed: 7 } })
    expect(detailText(t, unsplit)).toBe('Cut short when Fieldline stopped: 5 added, 7 refused or already there of 12 rows; the rest of the file was not imported.')
    locale.set('fr')
    expect(detailText(t, unsplit)).toBe('Interrompu à l’arrêt de Fieldline\u00a0: 5 ajoutés, 7 non ajoutés (refusés ou déjà présents) sur 12 lignes\u202f; le reste du fichier n’a pas été importé.')
    locale.set('en')
  })
})
