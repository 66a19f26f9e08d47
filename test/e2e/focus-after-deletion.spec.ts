/**
 * Where the focus goes after a deletion, keyboard only, in English and French (cold trial: after deleting a profile or
 * an alert rule the focus went to the page's heading, and the notice's Undo was about 16 Tabs away). A deletion that
 * offers Undo puts the focus on that Undo (trash.svelte.ts reportDeletion: devices, profiles, packages, invitations
 * alike; there is no Undo shortcut), so Enter undoes it at once and Tab goes on from the notice; after the Undo the
 * focus is on what came back (restored-focus.ts), where the Undo had left it on the page's heading. Alert rules go to
 * the trash too, with the same Undo; and the last item of a list (a device, an alert rule) comes back with the focus
 * even though its list was empty meanwhile.
 */
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addAndOpenDevice, addPlatform, importDevices, LANGUAGES, navigate, switchLanguage, words, type Words } from './words'

/** Presses `opener` with the keyboard and confirms `dialog` with its danger button (Tab from Cancel, Enter). */
async function confirmWithKeyboard(page: Page, opener: Locator, dialog: Locator, confirmName: string): Promise<void> {
  await opener.focus()
  await page.keyboard.press('Enter')
  await expect(dialog).toBeVisible()
  await dialog.getByRole('button', { name: confirmName, exact: true }).focus()
  await page.keyboard.press('Enter')
  await expect(dialog).toBeHidden()
}

/** Adds an alert rule "account sync failing" named `name` on the alert rules page. */
async function addRule(page: Page, t: Words, name: string): Promise<void> {
  await page.getByRole('button', { name: t('alerts.ui.addRule') }).click()
  const dialog = page.getByRole('dialog', { name: t('alerts.ui.addTitle') })
  await dialog.getByLabel(t('alerts.ui.kind')).selectOption({ label: t('alerts.ui.kinds.syncFailing') })
  await dialog.getByLabel(t('alerts.ui.name')).fill(name)
  await dialog.getByRole('button', { name: t('alerts.ui.add'), exact: true }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByTestId('alert-rule').filter({ hasText: name })).toHaveCount(1)
}

for (const language of LANGUAGES) {
  test(`deleting a profile puts the focus on the notice's Undo, and Enter brings the profile back (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    // A platform profile without a password: nothing in the keychain.
    await addPlatform(page, t, 'mqtt://127.0.0.1:1883')
    const card = page.getByRole('region', { name: t('platform.card.title') })
    const name = 'Local broker'
    await expect(card.getByRole('heading', { name })).toBeVisible()

    await confirmWithKeyboard(
      page,
      card.getByRole('button', { name: t('extensions.deleteNamed', { name }) }),
      page.getByRole('dialog', { name: t('extensions.deleteConfirm', { name }) }),
      t('extensions.delete'),
    )
    await expect(page.getByRole('status').filter({ hasText: t('extensions.deleted', { name }) })).toBeVisible()
    await expect(card.getByRole('heading', { name })).toHaveCount(0)
    const undo = page.getByRole('button', { name: t('trash.undoLabel', { target: name }) })
    await expect(undo).toBeFocused()
    // The list refreshed without the profile: the focus is still on Undo (not taken back to the heading).
    await expect(page.getByRole('heading', { level: 1 })).not.toBeFocused()

    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: name }) })).toBeVisible()
    await expect(card.getByRole('heading', { name })).toBeVisible()
    // The Undo went with its notice: the focus is on the profile that came back, not on the page's heading.
    await expect(card.getByRole('article', { name })).toBeFocused()
  })

  test(`undoing a package's deletion puts the focus on its row (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await page.evaluate("location.hash = '#/packages'")
    await expect(page.getByRole('heading', { level: 1, name: t('packages.title') })).toBeVisible()
    const bundleId = 'valve-maintenance'
    const text = JSON.stringify({ bundleId, displayName: { en_US: 'Valve maintenance' }, version: '3', actions: { flush: { actionDisplayName: { en_US: 'Flush' } } } })
    await page.getByLabel(t('packages.file'), { exact: true }).setInputFiles({ name: 'valve.json', mimeType: 'application/json', buffer: Buffer.from(text) })
    const row = page.getByTestId('package-row').filter({ hasText: bundleId })
    await expect(row).toHaveCount(1)

    await confirmWithKeyboard(
      page,
      page.getByRole('button', { name: t('packages.deleteLabel', { bundleId }) }),
      page.getByRole('dialog', { name: t('packages.deleteConfirm', { bundleId }) }),
      t('packages.delete'),
    )
    await expect(row).toHaveCount(0)
    const undo = page.getByRole('button', { name: t('trash.undoLabel', { target: bundleId }) })
    await expect(undo).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: bundleId }) })).toBeVisible()
    // The row that came back has the focus (its first cell, the table's stop), not the page's heading.
    await expect(row.locator('th, td').first()).toBeFocused()
  })

  test(`removing an alert rule puts the focus on Undo, and Enter brings the rule back with the focus on its row (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await page.evaluate("location.hash = '#/alerts'")
    await expect(page.getByRole('heading', { level: 1, name: t('alerts.ui.title') })).toBeVisible()
    await addRule(page, t, 'Rule A')
    await addRule(page, t, 'Rule B')
    const rows = page.getByTestId('alert-rule')
    const row = (name: string) => rows.filter({ hasText: name })
    const remove = (name: string) => page.getByRole('button', { name: t('alerts.ui.removeLabel', { name }) })
    const dialog = (name: string) => page.getByRole('dialog', { name: t('alerts.ui.removeConfirm', { name }) })
    const undo = (name: string) => page.getByRole('button', { name: t('trash.undoLabel', { target: name }) })
    const restored = (name: string) => page.getByRole('status').filter({ hasText: t('trash.restored', { target: name }) })

    await confirmWithKeyboard(page, remove('Rule A'), dialog('Rule A'), t('alerts.ui.remove'))
    await expect(page.getByRole('status').filter({ hasText: t('alerts.ui.removed', { name: 'Rule A' }) })).toBeVisible()
    await expect(rows).toHaveCount(1)
    await expect(undo('Rule A')).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(restored('Rule A')).toBeVisible()
    await expect(rows).toHaveCount(2)
    // The row that came back has the focus (its first cell, the table's stop), not the page's heading.
    await expect(row('Rule A').locator('th, td').first()).toBeFocused()

    // The last rule: its list is empty until the Undo, and the focus still finds the rule that came back.
    await confirmWithKeyboard(page, remove('Rule A'), dialog('Rule A'), t('alerts.ui.remove'))
    await expect(undo('Rule A')).toBeFocused()
    await confirmWithKeyboard(page, remove('Rule B'), dialog('Rule B'), t('alerts.ui.remove'))
    await expect(page.getByText(t('alerts.ui.none'))).toBeVisible()
    await expect(undo('Rule B')).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(restored('Rule B')).toBeVisible()
    await expect(row('Rule B').locator('th, td').first()).toBeFocused()
  })

  test(`undoing the deletion of the last device puts the focus on its row, not the page (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await addAndOpenDevice(page, t, 'meter', 'only-one')
    await confirmWithKeyboard(
      page,
      page.getByRole('button', { name: t('devices.delete.button') }),
      page.getByRole('dialog', { name: t('devices.delete.confirm', { device: 'meter/only-one' }) }),
      t('devices.delete.button'),
    )
    await expect(page.getByText(t('devices.empty'))).toBeVisible()
    const undo = page.getByRole('button', { name: t('trash.undoLabel', { target: 'meter/only-one' }) })
    await expect(undo).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: 'meter/only-one' }) })).toBeVisible()
    await expect(page.getByTestId('device-row').filter({ hasText: 'only-one' })).toBeFocused()
  })

  test(`undoing the deletion of the last device of a long list puts the focus on its row, scrolled to the end (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    await switchLanguage(page, language)
    await navigate(page, t, 'devices')
    await importDevices(page, t, ['typeId,deviceId,description', ...Array.from({ length: 80 }, (_, i) => `meter,m-${i + 1},`)])
    // Into the list, to its last row (out of the first screen: the list draws only the rows around what is shown), opened.
    const row = (id: string) => page.getByTestId('device-row').filter({ has: page.getByRole('link', { name: id, exact: true }) })
    await row('m-1').focus()
    await page.keyboard.press('End')
    await expect(page.locator(':focus')).toContainText('m-80')
    await page.keyboard.press('Enter')
    await expect(page.getByRole('heading', { name: 'meter/m-80', level: 1 })).toBeVisible()

    await confirmWithKeyboard(
      page,
      page.getByRole('button', { name: t('devices.delete.button') }),
      page.getByRole('dialog', { name: t('devices.delete.confirm', { device: 'meter/m-80' }) }),
      t('devices.delete.button'),
    )
    await expect(page.getByText(t('devices.count', { count: 79 }), { exact: true })).toBeVisible()
    const undo = page.getByRole('button', { name: t('trash.undoLabel', { target: 'meter/m-80' }) })
    await expect(undo).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: t('trash.restored', { target: 'meter/m-80' }) })).toBeVisible()
    await expect(row('m-80')).toBeFocused()
  })
}
