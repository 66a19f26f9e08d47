/**
 * The device list's export as a screen reader hears it, in English and French (cold trial: its first announcement was
 * "0 of 0 rows written", read before the core had counted the rows). While the core has not answered the start, the
 * live region says the export is starting and the bar is indeterminate; then it counts, then it says it finished.
 */
import { expect, test } from './fixtures'
import { addDevice } from './steps'
import { LANGUAGES, navigate, switchLanguage, words } from './words'

for (const language of LANGUAGES) {
  test(`an export says it is starting until the rows are counted (${language})`, async ({ app }) => {
    const { page } = app
    // The core's answer to the export's start is held until the test has read what the window says meanwhile.
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer()
      ws.onMessage((message) => {
        const start = typeof message === 'string' && (JSON.parse(message) as { channel?: string }).channel === 'export:start'
        if (start) void held.then(() => server.send(message))
        else server.send(message)
      })
    })
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    const t = words(language)
    await navigate(page, words('en'), 'devices')
    await addDevice(page, 'meter', 'exp-1')
    await expect(page.getByTestId('device-row').filter({ hasText: 'exp-1' })).toBeVisible()
    await switchLanguage(page, language)
    await navigate(page, t, 'devices')

    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: t('devices.export.view') }).click()
    const live = page.getByRole('status').filter({ hasText: t('devices.export.starting') })
    await expect(live).toHaveCount(1)
    await expect(page.getByRole('progressbar', { name: t('devices.export.progress') })).not.toHaveAttribute('aria-valuenow')
    await expect(page.getByText(t('devices.export.running', { rows: 0, total: 0 }))).toHaveCount(0)

    release()
    await expect(page.getByRole('status').filter({ hasText: t('devices.export.done', { rows: 1 }) })).toBeVisible()
    await download
  })
}
