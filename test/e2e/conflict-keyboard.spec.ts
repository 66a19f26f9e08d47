/**
 * Team sync's conflicts from the keyboard (cold trial): the table was one Tab stop whose row said nothing of its
 * action, so "Review" was found only with the arrows; « Fusionner dans l’éditeur » left the focus on « Fermer », where
 * the next Enter closed the dialog; and the Kind column read « device » in French. The device's own page said nothing
 * of its conflict: it now does, and opens the same review. The conflict is made the way
 * replication makes one, two branches written into the workspace while the app is stopped: no sync server is needed.
 */
import { expect, test } from './fixtures'
import { openDevice, openPage, plantDeviceConflict } from './steps'
import { switchLanguage } from './words'

const ID = 'device:meter:c-1'
/** What the operator knows the device by: the window names the conflict so, never by its id alone. */
const TITLE = 'meter / c-1'

test('a conflict is reviewed and merged from the keyboard, and its kind is in the window’s language', async ({ app }) => {
  test.setTimeout(120_000)
  const page = await plantDeviceConflict(app)
  await openPage(page, 'Settings')
  const table = page.getByRole('table', { name: 'Documents edited on two computers before they synced' })
  await expect(table.getByRole('cell', { name: 'Device', exact: true })).toBeVisible()

  // The row's cells say what Enter does, and Enter on one opens the review.
  const document = table.getByRole('rowheader', { name: `${TITLE} ${ID}` })
  await document.focus()
  await expect(document).toHaveAccessibleDescription('Enter: review this conflict')
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: `Conflict: ${TITLE}` })
  await expect(dialog).toBeVisible()
  await expect(dialog.locator('.monaco-diff-editor')).toBeVisible()
  // Opened on Close, not on "Keep mine", which one Enter would have pressed (cold trial).
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused()

  // Merge in the editor: the focus goes to the merge, and the next Enter writes in it instead of closing the dialog.
  const merge = dialog.getByRole('button', { name: 'Merge in the editor' })
  await merge.focus()
  await page.keyboard.press('Enter')
  await expect(dialog.getByRole('button', { name: 'Save the merge' })).toBeVisible()
  await expect(dialog.getByRole('textbox', { name: 'Merged version' })).toBeFocused()
  await expect(dialog.getByRole('button', { name: 'Close' })).not.toBeFocused()
  await page.keyboard.press('Enter')
  await expect(dialog).toBeVisible()
  // Back to the versions: where the merge was started.
  await dialog.getByRole('button', { name: 'Back to the versions' }).click()
  await expect(merge).toBeFocused()
  await dialog.getByRole('button', { name: 'Close' }).click()
  await expect(dialog).toBeHidden()
  await expect(document).toBeFocused()

  await switchLanguage(page, 'fr')
  const tableau = page.getByRole('table', { name: 'Documents modifiés sur deux ordinateurs avant leur synchronisation' })
  await expect(tableau.getByRole('cell', { name: 'Appareil', exact: true })).toBeVisible()
  await expect(tableau.getByRole('cell', { name: 'device', exact: true })).toHaveCount(0)
  await expect(tableau.getByRole('rowheader', { name: `${TITLE} ${ID}` })).toHaveAccessibleDescription('Entrée\u00a0: examiner ce conflit')
})

test('the device page says its device is in conflict and opens the review; once resolved, it says so no more', async ({ app }) => {
  test.setTimeout(120_000)
  const page = await plantDeviceConflict(app)
  await openDevice(page, 'c-1')
  const notice = page.getByTestId('device-conflict')
  await expect(notice).toContainText('This device was changed on two computers before they synced: this page shows one of the two versions.')
  await notice.getByRole('button', { name: 'Review the conflict' }).click()
  const dialog = page.getByRole('dialog', { name: `Conflict: ${TITLE}` })
  await expect(dialog).toBeVisible()
  await dialog.getByRole('button', { name: 'Keep mine' }).click()
  await expect(dialog).toBeHidden()
  await expect(notice).toHaveCount(0)
  await expect(page.getByRole('heading', { level: 1 })).toContainText('c-1')
})
