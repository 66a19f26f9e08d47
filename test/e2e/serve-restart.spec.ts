import { expect, startServe, test, type ServeProcess } from './fixtures'
import { addDevice, openPage } from './steps'

/**
 * Serve mode's token is new at every launch, so a tab left open across a restart can never reconnect with its own:
 * it must say so once the server answers again (and stop trying), not "Reconnecting…" for ever. And what was under
 * way when the core died lost the Fieldline core, not "the network".
 */
test('a tab open across a serve restart says the core was lost, then that Fieldline was restarted, and works again from the new address', async ({ app, target }) => {
  test.skip(target !== 'browser', 'serve mode only')
  const { page } = app
  const first = app.serve!
  const port = Number(new URL(first.origin).port)
  await openPage(page, 'Devices')

  // The core dies while an import is under way: frozen first, so the import's first call is surely in flight.
  const exited = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      try {
        process.kill(first.pid, 0)
      } catch {
        clearInterval(poll)
        resolve()
      }
    }, 50)
  })
  process.kill(first.pid, 'SIGSTOP')
  await page.getByLabel('Import file').setInputFiles({ name: 'meters.csv', mimeType: 'text/csv', buffer: Buffer.from('typeId,deviceId\nmeter,m-1\n') })
  await expect(page.getByText('meters.csv')).toBeVisible()
  process.kill(first.pid, 'SIGKILL')
  await exited
  await expect(page.getByRole('alert').filter({ hasText: 'The connection to the Fieldline core was lost before it answered' })).toBeVisible()
  await expect(page.getByText('The network connection failed.')).toHaveCount(0)
  await expect(page.getByRole('alert').filter({ hasText: 'Disconnected from the Fieldline core. Reconnecting…' })).toBeVisible()
  // Still away after a while: serve mode may be back on another port, where the tab cannot follow; it says where to look.
  await expect(page.getByRole('alert').filter({ hasText: 'open the new address it printed: its port may have changed' })).toBeVisible({ timeout: 20_000 })

  let second: ServeProcess | null = null
  try {
    second = await startServe(app.dataDir, port)
    const restarted = page.getByRole('alert').filter({ hasText: 'Fieldline was restarted, so this tab’s session has ended.' })
    await expect(restarted).toBeVisible({ timeout: 20_000 })
    await expect(page.getByText('Disconnected from the Fieldline core. Reconnecting…')).toHaveCount(0)

    // It stops trying: no new socket while the backoff's longest wait passes, twice over.
    let sockets = 0
    page.on('websocket', () => sockets++)
    await page.waitForTimeout(8_000)
    expect(sockets).toBe(0)

    // The new address pasted into this same tab changes only its hash: the page loads again with the new token.
    await page.goto(second.url)
    await expect(restarted).toBeHidden()
    await page.waitForSelector('[data-app-state="ready"]')
    await openPage(page, 'Devices')
    await addDevice(page, 'meter', 'after-restart')
    await expect(page.getByTestId('device-row').filter({ hasText: 'after-restart' })).toBeVisible()
  } finally {
    await second?.stop()
  }
})

test('an import the core did not live to end is said after the restart, once, with how to finish it', async ({ app, target }) => {
  test.skip(target !== 'browser', 'serve mode only')
  const { page } = app
  const first = app.serve!
  await openPage(page, 'Devices')
  const lines = ['typeId,deviceId', ...Array.from({ length: 60_000 }, (_, i) => `meter,k-${i}`)]
  await page.getByLabel('Import file').setInputFiles({ name: 'killed.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) })
  // Killed once some batches are written (the panel counts the rows added).
  await expect(page.getByRole('region', { name: 'Import devices' }).getByRole('status')).toContainText(/[1-9][\d,]* added/, { timeout: 30_000 })
  process.kill(first.pid, 'SIGKILL')

  let second: ServeProcess | null = null
  try {
    second = await startServe(app.dataDir)
    await page.goto(second.url)
    await page.waitForSelector('[data-app-state="ready"]')
    const notice = page.getByRole('alert').filter({ hasText: 'The import of killed.csv started' })
    await expect(notice).toContainText('was cut short when Fieldline stopped')
    // Counted as the finished import counts: nothing of the file was there before, nothing refused.
    await expect(notice).toContainText(/: [\d,]+ rows, [1-9][\d,]* added, 0 already there, 0 refused\./)
    await expect(notice).toContainText('Import the same file again to add the rest')
    // Loaded again: said once only.
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    await openPage(page, 'Devices')
    // A notice that is not coming has no moment to wait for: give the core's answer time to arrive, then look.
    await page.waitForTimeout(1_000)
    await expect(page.getByRole('alert').filter({ hasText: 'The import of killed.csv started' })).toHaveCount(0)
  } finally {
    await second?.stop()
  }
})
