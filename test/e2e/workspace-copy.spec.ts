import { cp, realpath, rm } from 'node:fs/promises'
import { expect, startServe, test } from './fixtures'

/**
 * A data folder copied beside its original (still in its place) takes its own workspace id and its own copies of the
 * secrets as it opens; the app says so once, in a notice that stays until dismissed.
 */
test('a copied data folder says once, in a notice that stays, that it is a workspace of its own', async ({ app, target }) => {
  test.skip(target !== 'browser', 'serve mode only: the copy is opened by a second serve process')
  const { page } = app
  await app.serve!.stop()
  const copy = `${app.dataDir}-copy`
  await cp(app.dataDir, copy, { recursive: true })
  const serve = await startServe(copy)
  try {
    await page.goto(serve.url)
    await page.waitForSelector('[data-app-state="ready"]')
    const notice = page.getByRole('alert').filter({ hasText: `This data folder is a copy of ${await realpath(app.dataDir)}, which is still in its place.` })
    await expect(notice).toBeVisible()
    await expect(notice).toContainText('a secret changed here no longer changes the original’s')

    // The page loaded again in the same session: not said twice.
    await page.reload()
    await page.waitForSelector('[data-app-state="ready"]')
    await expect(page.getByText('This data folder is a copy of')).toHaveCount(0)
  } finally {
    await serve.stop()
    await rm(copy, { recursive: true, force: true })
  }
})
