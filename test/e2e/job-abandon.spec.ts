/**
 * Abandoning a draft job, by keyboard, in English and in French: while the core works on it (a cold trial waited
 * seconds on a draft of 75,300 rows with nothing said), the dialog's confirm button is busy and says so, a status
 * line tells a screen reader and the job's state says it is being abandoned; then the page shows the job cancelled. The core's answer is held here until the page has
 * been looked at, so nothing depends on how fast the core is (the core's side is test/integration/sim-job-cancel-draft).
 */
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { newJasperJob } from './steps'
import { LANGUAGES, switchLanguage, words } from './words'

const API_KEY = 'abandon-e2e-key-8Kp'

const peer = useControlCenterPeer({ devices: 60, users: [{ username: 'ops', apiKey: API_KEY, password: 'pw', role: 'AccountAdmin' }] })

for (const language of LANGUAGES) {
  test(`a draft being abandoned says so until the core answers, then shows the job cancelled (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    // jobs:cancel waits here until released.
    const held: (() => void)[] = []
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer()
      ws.onMessage((message) => {
        const cancel = typeof message === 'string' && (JSON.parse(message) as { channel?: string }).channel === 'jobs:cancel'
        if (cancel) held.push(() => server.send(message))
        else server.send(message)
      })
    })
    await switchLanguage(page, language)

    const dialog = await newJasperJob(page, t, { url: peer().url, apiKey: API_KEY })
    await dialog.getByLabel(t('jobs.ui.new.status')).selectOption({ label: t('sim.statuses.deactivated') })
    await dialog.getByLabel(t('jobs.ui.new.fileInput')).setInputFiles({ name: 'sims.csv', mimeType: 'text/csv', buffer: Buffer.from(['iccid', ...peer().iccids].join('\r\n')) })
    await dialog.getByRole('button', { name: t('jobs.ui.new.submit') }).click()
    await expect(dialog).toBeHidden()
    const state = page.getByTestId('job-state')
    await expect(state).toHaveText(t('jobs.ui.states.draft'))

    await page.getByRole('button', { name: t('jobs.ui.cancel'), exact: true }).press('Enter')
    const question = page.getByRole('dialog', { name: t('jobs.ui.cancelTitle') })
    await expect(question.getByRole('button', { name: t('jobs.ui.cancelKeep') })).toBeFocused()
    await page.keyboard.press('Tab')
    await expect(question.getByRole('button', { name: t('jobs.ui.cancelConfirm') })).toBeFocused()
    await page.keyboard.press('Enter')

    // Under way: the focused button says it and is busy, the status line is read out, and the page's state says it
    // rather than "Draft" (the job is not a draft any more to the operator who confirmed).
    await expect.poll(() => held.length).toBe(1)
    const busy = question.getByRole('button', { name: t('jobs.ui.cancelling') })
    await expect(busy).toBeFocused()
    await expect(busy).toHaveAttribute('aria-busy', 'true')
    await expect(busy).toHaveAttribute('aria-disabled', 'true')
    await expect(question.getByTestId('cancel-progress')).toHaveText(t('jobs.ui.cancelling'))
    await expect(question.getByTestId('cancel-progress')).toHaveAttribute('role', 'status')
    await expect(state).toHaveText(t('jobs.ui.stateCancelling'))
    // Escape does not close a question whose answer is on its way.
    await page.keyboard.press('Escape')
    await expect(question).toBeVisible()

    held.shift()!()
    await expect(question).toBeHidden()
    await expect(state).toHaveText(t('jobs.ui.states.cancelled'))
    await expect(page.getByText(t('jobs.ui.cancelled', { id: /#\/jobs\/(j[0-9a-z]+)/.exec(page.url())![1]! }))).toBeVisible()
  })
}
