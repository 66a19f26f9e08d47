/**
 * A bulk job over 200 SIMs of two carriers, chosen on the SIMs page: 100 Control Center SIMs (the Jasper peer) and 100
 * Orange SIMs (the Orange peer), synced, all selected, and set to Activated in one job. Pre-flight shows what each
 * carrier refuses; the run is paused and resumed; the results show the Orange rows with their status tickets; undo sets
 * back what it can and says, row by row, what Orange cannot set back. Saving the profiles puts their secrets in the OS
 * keychain, so the serve process needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import type { Page } from '@playwright/test'
import { startControlCenterPeer, type ControlCenterPeer } from '../peers/control-center/control-center.peer'
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { expect, test } from './fixtures'
import { addJasperProfile, skipWithoutKeyring } from './steps'
import { words, type Words } from './words'

const API_KEY = 'two-carriers-key-8Hq'
const PER_CARRIER = 100

let cc: ControlCenterPeer
let orange: OrangePeer

test.beforeEach(async () => {
  skipWithoutKeyring()
  cc = await startControlCenterPeer({ devices: PER_CARRIER, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })
  orange = await startOrangePeer({ lines: PER_CARRIER, ticketTiming: { waitingMs: 50, workMs: 50 } })
  // The peer's first six lines are one of each Orange state; the others sleep, so that Activated changes them.
  for (const serial of orange.serials.slice(6)) orange.setStatus(serial, 'SLEEPING')
})

test.afterEach(async () => {
  await cc?.close()
  await orange?.close()
})

async function addProfiles(page: Page, t: Words): Promise<void> {
  // Fifty calls a second for each account: the run lasts a few seconds (an Orange row is a read and a submission, its
  // ticket then followed), long enough to pause it after its first window.
  await addJasperProfile(page, cc.url, API_KEY, { perSecond: 50 })
  await page
    .getByRole('region', { name: t('carriers.orange') })
    .getByRole('button', { name: t('extensions.add') })
    .click()
  const form = page.getByRole('dialog', { name: t('orange.form.addTitle') })
  await form.getByLabel(t('profiles.form.name')).fill('Paris')
  await form.getByLabel(t('orange.form.baseUrl')).fill(orange.url)
  await form.getByLabel(t('orange.form.username')).fill('ak-test')
  await form.getByLabel(t('orange.form.password'), { exact: true }).fill('test-password')
  await form.getByText(t('profiles.form.advanced')).click()
  await form.getByLabel(t('profiles.form.perSecond')).fill('50')
  await form.getByRole('button', { name: t('profiles.form.save') }).click()
  await expect(form).toBeHidden()
}

async function sync(page: Page, t: Words, account: RegExp): Promise<void> {
  await page
    .getByRole('region', { name: t('sims.sync.label') })
    .getByRole('button', { name: account })
    .click()
  const dialog = page.getByRole('dialog')
  await dialog.getByRole('button', { name: t('sims.sync.start'), exact: true }).click()
  await expect(dialog).toBeHidden()
}

async function confirm(page: Page, title: string, button: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title })
  await expect(dialog).toBeVisible()
  await dialog.getByRole('button', { name: button }).click()
  await expect(dialog).toBeHidden({ timeout: 30_000 })
}

test('200 SIMs of Control Center and Orange selected on the SIMs page: dry-run, run, pause, resume, results, undo', async ({ app }) => {
  test.setTimeout(120_000)
  const { page } = app
  const t = words('en')
  await addProfiles(page, t)

  await page
    .getByRole('navigation')
    .getByRole('link', { name: t('nav.sims'), exact: true })
    .click()
  await sync(page, t, /^Sync Jasper · Lab account/)
  await expect(page.getByText(t('sims.count', { count: PER_CARRIER }), { exact: true })).toBeVisible({ timeout: 30_000 })
  await sync(page, t, /^Sync Orange · Paris/)
  await expect(page.getByText(t('sims.count', { count: 2 * PER_CARRIER }), { exact: true })).toBeVisible({ timeout: 30_000 })

  const bar = page.getByRole('region', { name: t('sims.selection.label') })
  await bar.getByRole('button', { name: t('sims.selection.selectAll', { count: 2 * PER_CARRIER }) }).click()
  await expect(bar.getByRole('status').first()).toHaveText(t('sims.selection.count', { count: 2 * PER_CARRIER }))
  await page.getByRole('button', { name: t('jobs.ui.fromSims.button') }).click()
  const dialog = page.getByRole('dialog', { name: t('jobs.ui.new.title') })
  await expect(dialog.getByLabel(t('jobs.ui.new.source'))).toHaveValue('initial')
  await dialog.getByLabel(t('jobs.ui.new.status')).selectOption({ label: t('sim.statuses.activated') })
  await expect(dialog.getByText(t('jobs.ui.new.statusHint'))).toBeVisible()
  await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
  await expect(dialog).toBeHidden()
  const state = page.getByTestId('job-state')
  await expect(state).toHaveText(t('jobs.ui.states.draft'))

  // The dry-run: each row before → after; Orange's cancelled SIM is refused, nothing is sent.
  await page.getByRole('button', { name: t('jobs.ui.preflight.run') }).click()
  await expect(state).toHaveText(t('jobs.ui.states.ready'), { timeout: 30_000 })
  await expect(page.getByText(t('jobs.ui.findings.transition'), { exact: false }).first()).toBeVisible()
  const lines = page.getByTestId('job-row-line')
  await page.getByLabel(t('jobs.ui.rows.filter')).selectOption('skipped')
  const cancelled = orange.serials[5]!
  await expect(lines.filter({ hasText: cancelled })).toContainText(t('jobs.ui.issues.transition', { detail: 'CANCELLED → ACTIVATED' }))
  expect(orange.stats().submissions.status).toBe(0)
  expect(cc.stats().statusChanges).toHaveLength(0)
  const pending = Number(/(\d+)/.exec((await page.getByRole('button', { name: /^Run job \(\d+/ }).textContent()) ?? '')![1])
  expect(pending).toBeGreaterThan(PER_CARRIER)

  // Run, pause, resume to the end.
  await page.getByRole('button', { name: t('jobs.ui.run.start', { count: pending }) }).click()
  await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
  await page.getByRole('button', { name: t('jobs.ui.run.pause') }).click()
  await expect(state).toHaveText(t('jobs.ui.states.paused'), { timeout: 30_000 })
  const sentWhenPaused = orange.stats().statusChanges.length + cc.stats().statusChanges.length
  expect(sentWhenPaused).toBeLessThan(pending)
  await page.getByRole('button', { name: t('jobs.ui.run.resume') }).click()
  await expect(state).toHaveText(t('jobs.ui.states.done'), { timeout: 60_000 })
  const changed = orange.stats().statusChanges.length + cc.stats().statusChanges.length
  expect(changed).toBe(pending)
  for (const serial of orange.serials.slice(6)) expect(orange.line(serial).status).toBe('ACTIVATED')

  // Results: an Orange row (the list is sorted by SIM id: Orange's 13-digit serials first) names its carrier and its ticket.
  await page.getByLabel(t('jobs.ui.rows.filter')).selectOption({ label: t('jobs.ui.rows.ofState', { state: t('jobs.ui.rowStates.done'), shown: pending.toLocaleString('en') }) })
  await expect(lines.first()).toContainText(/\d{13} \(Orange\)/)
  await expect(lines.first()).toContainText(/Orange ticket \d+/)

  // Undo: what Orange cannot set back is said before, and refused row by row in the undo's dry-run.
  await page.getByRole('button', { name: t('jobs.ui.results.undo') }).click()
  await expect(page.getByRole('dialog', { name: t('jobs.ui.results.undoTitle') })).toContainText(t('jobs.ui.results.undoOrange'))
  await confirm(page, t('jobs.ui.results.undoTitle'), t('jobs.ui.results.undoConfirm'))
  await expect(state).toHaveText(t('jobs.ui.states.ready'))
  const preActivated = orange.serials[2]!
  await page.getByLabel(t('jobs.ui.rows.filter')).selectOption('skipped')
  await expect(lines.filter({ hasText: preActivated })).toContainText(t('jobs.ui.issues.unsupported', { carrier: 'Orange', what: t('sim.statuses.preActivated') }))
  const undoing = Number(/(\d+)/.exec((await page.getByRole('button', { name: /^Run job \(\d+/ }).textContent()) ?? '')![1])
  await page.getByRole('button', { name: t('jobs.ui.run.start', { count: undoing }) }).click()
  await confirm(page, t('jobs.ui.run.confirmTitle'), t('jobs.ui.run.confirm'))
  await expect(state).toHaveText(t('jobs.ui.states.done'), { timeout: 60_000 })
  for (const serial of orange.serials.slice(6)) expect(orange.line(serial).status).toBe('SLEEPING')
  expect(orange.line(orange.serials[1]!).status).toBe('SUSPENDED')
  expect(orange.line(preActivated).status).toBe('ACTIVATED')
})
