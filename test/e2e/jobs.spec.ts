/**
 * Bulk SIM jobs end to end against the Control Center peer, in English and in French: a job of 200 SIMs from a CSV,
 * pre-flight showing the one row the carrier would refuse (a Retired SIM), a run paused and resumed, the results
 * filtered and exported (the download read back), and "Undo job", after which every SIM has its status of before; and
 * a job cancelled while the carrier sat on a change it had applied: exported as the page shows its rows, and undone,
 * the change of unknown outcome included.
 * Saving the profile puts its API key in the OS keychain, so the serve process needs a D-Bus session with an unlocked
 * keyring (.ci/run provides one).
 */
import { readFile } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { newJasperJob } from './steps'
import { LANGUAGES, switchLanguage, words } from './words'

const API_KEY = 'jobs-e2e-key-4Rt'

const peer = useControlCenterPeer({ devices: 1000, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })

/** The SIM's status as the peer holds it (Control Center's REST spelling). */
async function statusAtPeer(iccid: string): Promise<string> {
  const res = await fetch(`${peer().url}/rws/api/v1/devices/${iccid}`, { headers: { authorization: `Basic ${Buffer.from(`ops:${API_KEY}`).toString('base64')}` } })
  expect(res.status).toBe(200)
  return ((await res.json()) as { status: string }).status
}

/** 199 Activated SIMs (Deactivated and back is a change Control Center makes both ways), and one Retired SIM, which pre-flight refuses. */
async function targets(): Promise<{ csv: string[]; iccids: string[]; retired: string; before: Map<string, string> }> {
  const before = new Map<string, string>()
  const iccids: string[] = []
  let retired: string | null = null
  for (const iccid of peer().iccids) {
    const status = await statusAtPeer(iccid)
    if (status === 'RETIRED' && retired === null) {
      retired = iccid
      before.set(iccid, status)
    } else if (status === 'ACTIVATED' && iccids.length < 199) {
      iccids.push(iccid)
      before.set(iccid, status)
    }
    if (retired !== null && iccids.length === 199) break
  }
  expect(retired).not.toBeNull()
  expect(iccids).toHaveLength(199)
  return { csv: [...iccids.slice(0, 100), retired!, ...iccids.slice(100)], iccids, retired: retired!, before }
}

/** The first `count` Activated SIMs at the peer. */
async function activated(count: number): Promise<string[]> {
  const iccids: string[] = []
  for (const iccid of peer().iccids) {
    if ((await statusAtPeer(iccid)) === 'ACTIVATED') iccids.push(iccid)
    if (iccids.length === count) return iccids
  }
  throw new Error(`the peer has fewer than ${count} Activated SIMs`)
}

/** Answers a confirmation; it closes once the core has answered (an undo job is checked first: seconds at 20 reads a second). */
async function confirm(page: Page, title: string, button: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title })
  await expect(dialog).toBeVisible()
  await dialog.getByRole('button', { name: button }).click()
  await expect(dialog).toBeHidden({ timeout: 60_000 })
}

for (const language of LANGUAGES) {
  test(`a job of 200 SIMs from a CSV: pre-flight, run, pause, resume, results, export, undo (${language})`, async ({ app }) => {
    test.setTimeout(240_000)
    const { page } = app
    const t = words(language)
    const { csv: rows, iccids, retired, before } = await targets()
    await switchLanguage(page, language)

    // New bulk job from a CSV: nothing is sent yet. Twenty calls a second: the run lasts about ten seconds, long enough
    // to pause it half-way.
    const dialog = await newJasperJob(page, t, { url: peer().url, apiKey: API_KEY, perSecond: 20 })
    await expect(dialog.getByLabel(t('jobs.ui.new.account'))).toHaveValue(/^jasper:/)
    // Without a file the dialog says what is missing.
    await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
    await expect(dialog.getByText(t('jobs.ui.new.fileRequired'))).toBeVisible()
    await dialog.getByLabel(t('jobs.ui.new.status')).selectOption({ label: t('sim.statuses.deactivated') })
    await dialog.getByLabel(t('jobs.ui.new.fileInput')).setInputFiles({ name: 'sims.csv', mimeType: 'text/csv', buffer: Buffer.from(['iccid', ...rows].join('\r\n')) })
    await expect(dialog.getByText(t('jobs.ui.new.fileChosen', { name: 'sims.csv' }))).toBeVisible()
    await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
    await expect(dialog).toBeHidden()
    const state = page.getByTestId('job-state')
    await expect(state).toHaveText(t('jobs.ui.states.draft'))
    const jobId = /#\/jobs\/(j[0-9a-z]+)/.exec(page.url())![1]!
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(t('jobs.ui.jobTitle', { id: jobId }))
    expect(peer().stats().statusChanges).toHaveLength(0)

    // Pre-flight: the Retired SIM is refused and shown; the estimate is at the account's 20 calls a second.
    await page.getByRole('button', { name: t('jobs.ui.preflight.run') }).press('Enter')
    await expect(state).toHaveText(t('jobs.ui.states.ready'), { timeout: 60_000 })
    // The pre-flight section is replaced by its summary: the focus goes to the summary's heading, not to the page's.
    await expect(page.getByRole('heading', { level: 2, name: t('jobs.ui.preflight.title') })).toBeFocused()
    await expect(page.getByText(t('jobs.ui.findingLine', { finding: t('jobs.ui.findings.transition'), count: 1 }))).toBeVisible()
    await expect(page.getByTestId('job-estimate')).toContainText(language === 'fr' ? '20 appels par seconde' : '20 calls a second')
    await page.getByLabel(t('jobs.ui.rows.filter')).selectOption({ label: t('jobs.ui.rows.ofState', { state: t('jobs.ui.rowStates.skipped'), shown: '1' }) })
    const lines = page.getByTestId('job-row-line')
    await expect(lines).toHaveCount(1)
    await expect(lines.first()).toContainText(retired)
    await expect(lines.first()).toContainText(t('jobs.ui.issues.transition', { detail: 'retired → deactivated' }))
    expect(peer().stats().statusChanges).toHaveLength(0)

    // Run, pause half-way, resume to the end.
    await page.getByRole('button', { name: t('jobs.ui.run.start', { count: 199 }) }).click()
    await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
    // From the keyboard: the focus follows the button that takes the pressed one's place (Pause becomes Resume, and back).
    await page.getByRole('button', { name: t('jobs.ui.run.pause') }).press('Enter')
    await expect(state).toHaveText(t('jobs.ui.states.paused'))
    await expect(page.getByRole('button', { name: t('jobs.ui.run.resume') })).toBeFocused()
    // A row already sent when Pause was pressed still reaches the peer after the page says Paused (the notice counts it
    // as sent): the peer's count is read again until the two agree.
    await expect(async () => {
      const changedWhenPaused = peer().stats().statusChanges.length
      expect(changedWhenPaused).toBeLessThan(199)
      await expect(page.getByRole('status').filter({ hasText: t('jobs.ui.run.paused', { count: 199 - changedWhenPaused }) })).toBeVisible({ timeout: 1000 })
    }).toPass({ timeout: 10_000 })
    await page.getByRole('button', { name: t('jobs.ui.run.resume') }).press('Enter')
    await expect(page.getByRole('button', { name: t('jobs.ui.run.pause') })).toBeFocused()
    await expect(state).toHaveText(t('jobs.ui.states.done'), { timeout: 60_000 })
    expect(peer().stats().statusChanges).toHaveLength(199)
    for (const iccid of iccids) expect(await statusAtPeer(iccid)).toBe('DEACTIVATED')

    // Results: each row's outcome, filtered by state.
    await page.getByLabel(t('jobs.ui.rows.filter')).selectOption({ label: t('jobs.ui.rows.ofState', { state: t('jobs.ui.rowStates.done'), shown: '199' }) })
    await expect(page.getByText(t('jobs.ui.rows.shown', { count: 199 }))).toBeVisible()
    await expect(lines.first()).toContainText(`${t('sim.statuses.deactivated')}`)

    // Export through the download path, read back.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: t('jobs.ui.results.export') }).click()])
    expect(download.suggestedFilename()).toBe(`job-${jobId}.csv`)
    const file = await readFile((await download.path())!, 'utf8')
    // UTF-8's byte-order mark first, so a spreadsheet reads accents right.
    expect(file.startsWith('\uFEFF')).toBe(true)
    const csv = file.slice(1).trim().split('\r\n')
    expect(csv[0]).toBe('line,iccid,state,statusBefore,statusAfter,ratePlanBefore,ratePlanAfter,smsMsgId,findings,error,at')
    expect(csv).toHaveLength(201)
    expect(csv.filter((l) => l.split(',')[2] === 'done')).toHaveLength(199)
    expect(csv.find((l) => l.includes(retired))).toContain(',skipped,retired,deactivated,')

    // Undo: the confirmation says how many SIMs it sets back; the undo job is checked, then run.
    await page.getByRole('button', { name: t('jobs.ui.results.undo') }).click()
    const undoQuestion = page.getByRole('dialog', { name: t('jobs.ui.results.undoTitle') })
    await expect(undoQuestion).toContainText(t('jobs.ui.results.undoText', { count: 199 }))
    // A job of Control Center SIMs only: nothing about what Orange cannot set back.
    await expect(undoQuestion).not.toContainText(t('jobs.ui.results.undoOrange'))
    await confirm(page, t('jobs.ui.results.undoTitle'), t('jobs.ui.results.undoConfirm'))
    await expect(page.getByRole('link', { name: jobId })).toBeVisible()
    // The undo says what it sets back, not that it follows a CSV.
    await expect(page.getByText(t('jobs.ui.summary.statusUndo', { id: jobId }))).toBeVisible()
    await expect(state).toHaveText(t('jobs.ui.states.ready'))
    await page.getByRole('button', { name: t('jobs.ui.run.start', { count: 199 }) }).click()
    await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
    await expect(state).toHaveText(t('jobs.ui.states.done'), { timeout: 60_000 })
    for (const iccid of iccids) expect(await statusAtPeer(iccid)).toBe(before.get(iccid))

    // Both jobs are listed.
    await page.getByRole('link', { name: t('jobs.ui.title') }).click()
    await expect(page.getByTestId('job-row')).toHaveCount(2)
    // The undo names the job it undoes apart from its own id (it read "j…(undoes j…)").
    await expect(page.getByTestId('job-row').getByRole('rowheader').first()).toHaveText(new RegExp(`^j[0-9a-z]+ ${t('jobs.ui.undoOf', { id: jobId }).replace(/[()]/g, '\\$&')}$`))
  })

  test(`a job cancelled while a change was on the wire: exported as shown, undone with its change of unknown outcome (${language})`, async ({ app }) => {
    test.setTimeout(120_000)
    const { page } = app
    const t = words(language)
    const iccids = await activated(5)
    await switchLanguage(page, language)
    const dialog = await newJasperJob(page, t, { url: peer().url, apiKey: API_KEY, perSecond: 20 })
    await dialog.getByLabel(t('jobs.ui.new.status')).selectOption({ label: t('sim.statuses.deactivated') })
    await dialog.getByLabel(t('jobs.ui.new.fileInput')).setInputFiles({ name: 'five.csv', mimeType: 'text/csv', buffer: Buffer.from(['iccid', ...iccids].join('\r\n')) })
    await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
    await expect(dialog).toBeHidden()
    const state = page.getByTestId('job-state')
    const jobId = /#\/jobs\/(j[0-9a-z]+)/.exec(page.url())![1]!
    await page.getByRole('button', { name: t('jobs.ui.preflight.run') }).click()
    await expect(state).toHaveText(t('jobs.ui.states.ready'), { timeout: 60_000 })

    // The carrier applies the first change and sits on its answer; the job is cancelled meanwhile.
    peer().faults.set({ kind: 'latency', ms: 5000, times: 1, afterRequest: true, path: /^\/rws\/api\/v1\/devices\/\d+$/ })
    await page.getByRole('button', { name: t('jobs.ui.run.start', { count: 5 }) }).click()
    await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
    await expect.poll(() => peer().stats().statusChanges.length, { timeout: 30_000 }).toBe(1)
    const [applied] = peer()
      .stats()
      .statusChanges.map((c) => c.iccid)
    await page
      .getByRole('button', { name: t('jobs.ui.cancel') })
      .first()
      .click()
    // The dialog counts the job as it is now: the window of five journalled as being sent, one of them at the carrier.
    await expect(page.getByRole('dialog', { name: t('jobs.ui.cancelTitle') })).toContainText(t('jobs.ui.cancelSendingText', { count: 5 }))
    // The answer "no" keeps the job, in words that cannot be read as cancelling it ("Annuler" beside "Abandonner la tâche").
    await expect(page.getByRole('dialog', { name: t('jobs.ui.cancelTitle') }).getByRole('button', { name: t('jobs.ui.cancelKeep') })).toBeFocused()
    await expect(page.getByRole('dialog', { name: t('jobs.ui.cancelTitle') }).getByRole('button', { name: t('common.cancel'), exact: true })).toHaveCount(0)
    await confirm(page, t('jobs.ui.cancelTitle'), t('jobs.ui.cancelConfirm'))
    await expect(state).toHaveText(t('jobs.ui.states.cancelled'))
    expect(await statusAtPeer(applied!)).toBe('DEACTIVATED')

    // The download says each row's state as the page does: the rows never sent are not "pending".
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: t('jobs.ui.results.export') }).click()])
    const csv = (await readFile((await download.path())!, 'utf8')).slice(1).trim().split('\r\n').slice(1)
    expect(csv.map((l) => l.split(',').slice(1, 3).join(',')).sort()).toEqual(iccids.map((i) => `${i},${i === applied ? 'unknown' : 'notSent'}`).sort())

    // Nothing is done, yet "Undo job" is offered: the change of unknown outcome is in the undo, which reads it again.
    await page.getByRole('button', { name: t('jobs.ui.results.undo') }).click()
    const undoQuestion = page.getByRole('dialog', { name: t('jobs.ui.results.undoTitle') })
    await expect(undoQuestion).toContainText(t('jobs.ui.results.undoText', { count: 1 }))
    await expect(undoQuestion.getByTestId('undo-unknown')).toHaveText(t('jobs.ui.results.undoUnknown', { count: 1 }))
    await confirm(page, t('jobs.ui.results.undoTitle'), t('jobs.ui.results.undoConfirm'))
    await expect(page.getByText(t('jobs.ui.summary.statusUndo', { id: jobId }))).toBeVisible()
    await page.getByRole('button', { name: t('jobs.ui.run.start', { count: 1 }) }).click()
    await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
    await expect(state).toHaveText(t('jobs.ui.states.done'), { timeout: 60_000 })
    for (const iccid of iccids) expect(await statusAtPeer(iccid)).toBe('ACTIVATED')
    expect(peer().stats().statusChanges).toHaveLength(2)
  })
}
