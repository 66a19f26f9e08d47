/**
 * The device's extension configuration, edited by someone who cannot see the editor's red marks (cold trial: invalid
 * JSON and schema errors were drawn in Monaco and in the Problems list, but a screen reader heard nothing while the
 * operator typed). A status region says how many problems there are and where the first one is, in the window's language.
 */
import { setEditorText } from './steps'
import { expect, test } from './fixtures'
import { addAndOpenDevice, switchLanguage, words } from './words'

test('invalid JSON and schema errors in the configuration editor are announced in French, and so is the fix', async ({ app }) => {
  const { page } = app
  const fr = words('fr')
  await switchLanguage(page, 'fr')
  await addAndOpenDevice(page, fr, 'meter', 'm-1')
  const config = page.getByRole('region', { name: fr('config.title') })
  const announced = config.getByRole('status').filter({ hasText: /^\d+ problème/ })

  await setEditorText(page, '{"jasper": {"iccid": ')
  await expect(announced).toHaveText(/^1 problème, ligne 1, colonne \d+\u00a0: /)
  // The keys stay in the editor: the announcement does not take the focus away.
  await expect(page.locator('.monaco-editor textarea, .monaco-editor [role="textbox"]').first()).toBeFocused()

  await setEditorText(page, '{"jasper": {"iccid": 5}}')
  await expect(announced).toHaveText(/^1 problème, ligne 1, colonne \d+\u00a0: .+/)

  await setEditorText(page, '{}')
  // Said in other words than the list's own “no problems” line, which stays for the eyes.
  await expect(config.getByRole('status').filter({ hasText: 'Le document n’a plus aucun problème.' })).toBeAttached()
})
