import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import { countsText, findingsOfRow, issueText, rowStateText, sideText, sourceText, summaryText } from '../../src-renderer/src/features/jobs/job-text'
import { smsLength, smsRefusal } from '../../src-shared/models/sms-length'
import { accountName } from '../../src-renderer/src/features/sims/sim-cells'
import type { Translate } from '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)

describe('a job’s words', () => {
  it.each(['en', 'fr'])('says an SMS too long for its coding as the SIM panel does (%s), and a character the chosen coding cannot carry', (language) => {
    locale.set(language)
    // The panel shows smsRefusal's key with its values; pre-flight writes the same count as `<length>/<max>`.
    const refusal = smsRefusal(smsLength(`${'a'.repeat(159)}€`))!
    expect(refusal).toEqual({ key: 'sim.smsTooLong', params: { length: 161, max: 160 } })
    const said = issueText(t, { code: 'smsTooLong', severity: 'error', detail: '161/160' })
    expect(said).toBe(t(refusal.key, { values: refusal.params }))
    expect(said).toContain('161')
    expect(issueText(t, { code: 'smsCharacter', severity: 'error', detail: '🙂' })).toContain('🙂')
    expect(sideText(t, 'sms', { smsLength: 71, dataCoding: 8 }, language)).toBe(t('jobs.ui.smsSide', { values: { length: '71', coding: 'UCS-2' } }))
  })

  it('says a row listed by an account as the page’s header says the job’s account (cold trial: raw jasper:lab-account-1)', () => {
    locale.set('en')
    expect(sourceText(t, 'jasper:lab-account-1')).toBe('Jasper · lab-account-1')
    expect(sourceText(t, 'jasper:lab-account-1')).toBe(accountName(t, 'jasper:lab-account-1'))
    expect(sourceText(t, 'jasper:lab-account-1', new Map([['jasper:lab-account-1', 'Lab']]))).toBe('Jasper · Lab')
    expect(sourceText(t, 'orange')).toBe('Orange')
    // A device and a CSV line are said as before.
    expect(sourceText(t, 'meter/m-1')).toBe('meter/m-1')
    expect(sourceText(t, 'line 12')).toBe(t('jobs.ui.rows.line', { values: { line: 12 } }))
  })

  it.each([
    ['en', 'Sending', 'Interrupted: checked with the carrier when the job resumes'],
    ['fr', 'Envoi en cours', 'Interrompue\u00a0: vérifiée auprès de l’opérateur à la reprise'],
  ])('says a row still on its way as sending only while the job runs (%s): a pause abandoned its call', (language, sending, interrupted) => {
    locale.set(language)
    expect(rowStateText(t, 'sending', 'running')).toBe(sending)
    expect(rowStateText(t, 'sending', 'paused')).toBe(interrupted)
    expect(rowStateText(t, 'sending')).toBe(sending)
    expect(rowStateText(t, 'pending', 'paused')).not.toBe(interrupted)
  })

  it('does not say a row skipped for another finding is sent because of its check digit (it said “sent anyway”)', () => {
    // A SIM already in the requested state whose ICCID fails Luhn: pre-flight skips it, so nothing is sent.
    const row = {
      issues: [
        { code: 'luhn' as const, severity: 'warning' as const },
        { code: 'noChange' as const, severity: 'skip' as const },
      ],
      error: null,
    }
    const error = () => ''
    locale.set('en')
    expect(findingsOfRow(t, row, error)).toBe('Already so: nothing to change · Check digit (Luhn) does not match: number accepted (some carriers issue such numbers)')
    locale.set('fr')
    expect(findingsOfRow(t, row, error)).toBe('Déjà ainsi\u00a0: rien à changer · La clé de contrôle (Luhn) ne correspond pas\u00a0: numéro accepté (certains opérateurs en émettent de tels)')
  })

  it('says a row left in a cancelled job is not sent, not to send', () => {
    locale.set('en')
    expect(rowStateText(t, 'pending', 'cancelled')).toBe('Not sent')
    expect(rowStateText(t, 'pending', 'paused')).toBe('To send')
    locale.set('fr')
    expect(rowStateText(t, 'pending', 'cancelled')).toBe('Non envoyée')
  })

  it('says what an undo sets back, not that it reads a CSV', () => {
    locale.set('en')
    expect(summaryText(t, { operation: 'status', params: {}, undoOf: 'jabc123' })).toBe('Set each SIM back to its status before job jabc123')
    expect(summaryText(t, { operation: 'ratePlan', params: {}, undoOf: 'jabc123' })).toBe('Set each SIM back to its rate plan before job jabc123')
    expect(summaryText(t, { operation: 'status', params: {}, undoOf: null })).toBe('Set status (per row, from the CSV)')
    locale.set('fr')
    expect(summaryText(t, { operation: 'status', params: {}, undoOf: 'jabc123' })).toBe('Remettre chaque SIM dans l’état qu’elle avait avant la tâche jabc123')
  })

  it('counts the row a pause left on its way, which the line left out (its numbers did not add up to the total)', () => {
    const counts = { total: 20, done: 0, failed: 0, unknown: 0, skipped: 3, pending: 16, sending: 1 }
    locale.set('en')
    expect(countsText(t, { counts, state: 'paused' })).toBe('20 rows: 0 done, 0 failed, 0 unknown, 3 skipped, 16 to send, 1 interrupted (checked when the job resumes)')
    expect(countsText(t, { counts, state: 'running' })).toBe('20 rows: 0 done, 0 failed, 0 unknown, 3 skipped, 16 to send, 1 sending')
    expect(countsText(t, { counts: { ...counts, sending: 0, pending: 17 }, state: 'paused' })).toBe('20 rows: 0 done, 0 failed, 0 unknown, 3 skipped, 17 to send')
    locale.set('fr')
    expect(countsText(t, { counts, state: 'paused' })).toContain('16 à envoyer, 1 interrompue (vérifiée à la reprise)')
  })
})
