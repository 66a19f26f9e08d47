/**
 * Orange M2M end to end, through the UI, in English and in French: an Orange profile in the Extensions gallery against
 * the wire-faithful Orange peer (plain http:// is allowed on 127.0.0.1) — a refused password named first, then the
 * right one —, a device whose extension configuration names a SIM serial number, the Orange SIM panel, a status change
 * confirmed by name and carried out as an Orange ticket followed to TERMINATED (through a reload), the change in
 * Activity, and a submission whose answer is lost (UNKNOWN_OUTCOME) whose ticket is then looked up by number.
 *
 * The peer's clock is the spec's: a ticket stays WAITING until the spec moves the clock on, so each step is seen
 * whatever the core's polling back-off and the machine's load. Saving the password puts it in the OS keychain, so the
 * spec needs a D-Bus session with an unlocked keyring (.ci/run provides one).
 */
import { startOrangePeer, type OrangePeer } from '../peers/orange/orange.peer'
import { expect, test } from './fixtures'
import { setEditorText, skipWithoutKeyring } from './steps'
import { LANGUAGES, addAndOpenDevice, navigate, switchLanguage, words } from './words'

/** Each ticket step takes this long on the peer's clock, which moves only when the spec says. */
const STEP_MS = 60 * 60_000

let peer: OrangePeer | undefined
let offsetMs = 0

test.beforeEach(async () => {
  skipWithoutKeyring()
  offsetMs = 0
  peer = await startOrangePeer({ now: () => new Date(Date.now() + offsetMs), ticketTiming: { waitingMs: STEP_MS, workMs: STEP_MS } })
})

test.afterEach(async () => {
  await peer?.close()
})

for (const language of LANGUAGES) {
  test(`${language}: configure Orange, attach a SIM, change its status through a ticket to TERMINATED, see it in Activity, look a lost ticket up`, async ({ app }) => {
    test.setTimeout(120_000)
    const { page } = app
    const orange = peer!
    const t = words(language)
    const serial = orange.serials[0]!
    expect(orange.line(serial).status).toBe('ACTIVATED')
    await switchLanguage(page, language)

    // The profile: a wrong password first, whose refusal is named, then the right one.
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('carriers.orange') })
    await expect(card.getByText(t('orange.card.noProfiles'))).toBeVisible()
    await card.getByRole('button', { name: t('extensions.add') }).click()
    const dialog = page.getByRole('dialog', { name: t('orange.form.addTitle') })
    await expect(dialog.getByLabel(t('orange.form.baseUrl'))).toHaveValue('https://iosw-ba.orange.com/MLM')
    await dialog.getByLabel(t('profiles.form.name')).fill('Orange lab')
    await dialog.getByLabel(t('orange.form.baseUrl')).fill(orange.url)
    await dialog.getByLabel(t('orange.form.username')).fill('ak-test')
    // Without a password the form says so at the field, before anything is sent.
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog.getByText(t('profiles.orangePasswordRequired'))).toBeVisible()
    await expect(dialog.getByLabel(t('orange.form.password'), { exact: true })).toBeFocused()
    await dialog.getByLabel(t('orange.form.password'), { exact: true }).fill('not-the-password')
    await dialog.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(dialog).toBeHidden()
    await expect(card.getByText(t('orange.card.passwordSet'))).toBeVisible()
    await expect(page.getByText('not-the-password')).toHaveCount(0)
    await card.getByRole('button', { name: t('extensions.verify') }).click()
    await expect(card.getByRole('status')).toContainText(t('orange.authFailed', { status: 401 }))

    await card.getByRole('button', { name: t('extensions.edit') }).click()
    const edit = page.getByRole('dialog', { name: t('profiles.form.editTitle', { name: 'Orange lab' }) })
    await edit.getByLabel(t('orange.form.password'), { exact: true }).fill('test-password')
    await edit.getByRole('button', { name: t('profiles.form.save') }).click()
    await expect(edit).toBeHidden()
    await card.getByRole('button', { name: t('extensions.verify') }).click()
    await expect(card.getByRole('status')).toContainText(t('extensions.verified', { detail: t('orange.card.verified', { url: orange.url }) }))

    // A device with the SIM's serial number: the Orange panel appears with what Orange says about the SIM.
    await addAndOpenDevice(page, t, 'meter', `orange-${language}`)
    await setEditorText(page, `{"orange": {"serialnumber": "${serial}"}}`)
    await page.getByRole('button', { name: t('config.save') }).click()
    const panel = page.getByRole('region', { name: t('orange.panel.title') })
    await expect(panel.getByTestId('orange-status')).toHaveText(t('sim.statuses.activated'))
    await expect(panel.getByText(orange.line(serial).iccid, { exact: true })).toBeVisible()
    await expect(panel.getByText(orange.line(serial).imsi, { exact: true })).toBeVisible()
    await expect(panel.getByText(t('orange.panel.lastStatusChange'))).toBeVisible()

    // The status change, confirmed by name; the test mode is offered only with "Activated for test".
    await expect(panel.getByLabel(t('orange.panel.testMode'))).toHaveCount(0)
    await panel.getByLabel(t('sim.newStatus')).selectOption({ label: t('sim.statuses.activatedForTest') })
    await expect(panel.getByLabel(t('orange.panel.testMode'))).toBeVisible()
    await panel.getByLabel(t('sim.newStatus')).selectOption({ label: t('sim.statuses.suspended') })
    await panel.getByRole('button', { name: t('orange.changeStatus') }).click()
    const from = t('sim.statuses.activated')
    const to = t('sim.statuses.suspended')
    const confirm = page.getByRole('dialog', { name: t('sim.confirmStatus', { iccid: serial, from, to }) })
    await expect(confirm.getByRole('button', { name: t('common.cancel') })).toBeFocused()
    await confirm.getByRole('button', { name: t('orange.changeStatus') }).click()
    await expect(page.getByRole('status').filter({ hasText: t('orange.panel.submitted', { serial, status: to }) })).toBeVisible()
    const ticket = panel.getByTestId('orange-ticket')
    await expect(ticket).toHaveCount(1)
    const number = orange.stats().tickets.at(-1)!.number
    await expect(ticket.getByRole('rowheader')).toContainText(String(number))
    await expect(ticket.getByTestId('orange-ticket-state')).toHaveText(t('orange.ticketStates.WAITING'))
    // While the ticket runs, Orange shows the change as the SIM's requested status.
    await expect(panel.getByRole('definition').filter({ hasText: to })).toContainText(t('orange.panel.requestedOn', { time: '' }).trim())

    // A reload finds the ticket where it stands, and its steps keep arriving.
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    await expect(ticket.getByTestId('orange-ticket-state')).toHaveText(t('orange.ticketStates.WAITING'))
    offsetMs += STEP_MS
    await expect(ticket.getByTestId('orange-ticket-state')).toHaveText(t('orange.ticketStates.WORK_IN_PROGRESS'), { timeout: 40_000 })
    await expect(panel.getByRole('progressbar', { name: t('orange.tickets.progressLabel', { ticket: number }) })).toHaveAttribute('aria-valuetext', t('orange.ticketStates.WORK_IN_PROGRESS'))
    offsetMs += STEP_MS
    await expect(ticket.getByTestId('orange-ticket-state')).toHaveText(t('orange.ticketStates.TERMINATED'), { timeout: 40_000 })
    await expect(ticket).toContainText(`${serial}: ${t('orange.lineStates.TERMINATED')}`)
    await expect(panel.getByTestId('orange-status')).toHaveText(to)
    expect(orange.line(serial).status).toBe('SUSPENDED')

    // Activity has the outcome.
    await navigate(page, t, 'activity')
    const trail = page.getByRole('list', { name: t('activity.caption') })
    await expect(
      trail
        .getByRole('listitem')
        .filter({ hasText: t('activity.actions.orange_changeStatus') })
        .first(),
    ).toBeVisible()
    await expect(
      trail
        .getByRole('listitem')
        .filter({ hasText: t('activity.actions.orange_changeStatus_submitted') })
        .first(),
    ).toBeVisible()
    await page.goBack()

    // Orange makes the next ticket but its answer is lost: the outcome is unknown, nothing is sent again, and the
    // ticket is found by its number.
    const submissions = orange.stats().submissions.status
    orange.faults.set({ kind: 'drop', afterRequest: true, operation: 'submitUpdateSimStatusRequest', times: 1 })
    await panel.getByLabel(t('sim.newStatus')).selectOption({ label: t('sim.statuses.activated') })
    await panel.getByRole('button', { name: t('orange.changeStatus') }).click()
    await page
      .getByRole('dialog', { name: t('sim.confirmStatus', { iccid: serial, from: to, to: from }) })
      .getByRole('button', { name: t('orange.changeStatus') })
      .click()
    // The transport lost the answer after the request left: the core's word for that, whichever layer said it.
    await expect(panel.getByRole('alert').filter({ hasText: t('errors.unknownOutcome', { host: new URL(orange.url).host }) })).toBeVisible()
    expect(orange.stats().submissions.status).toBe(submissions + 1)
    const lost = orange.stats().tickets.at(-1)!.number
    await panel.getByRole('button', { name: t('orange.panel.lookUpTicket') }).click()
    const lookup = panel.getByRole('region', { name: t('orange.lookup.title') })
    await expect(lookup.getByLabel(t('orange.lookup.number'))).toBeFocused()
    await page.keyboard.type(String(lost))
    await page.keyboard.press('Enter')
    await expect(lookup.getByRole('status')).toHaveText(t('orange.lookup.found', { ticket: lost, state: t('orange.ticketStates.WAITING') }))
    await expect(ticket.filter({ hasText: String(lost) })).toHaveCount(1)
    expect(orange.stats().submissions.status).toBe(submissions + 1)
  })
}
