/**
 * The focus when what had it goes away, as a keyboard cold trial met it: a restored trash entry, an emptied trash and a
 * device deleted from its page each left the focus on the page (the next Tab went to "Dismiss notification", a screen
 * reader lost its place). It goes to the entry that took the restored one's place, to the "trash is empty" text that
 * says what the action left, after a deletion with Undo to that Undo (focus-after-deletion.spec.ts), and, when nothing
 * nearer can take it, to the page's heading (App.svelte's last resort).
 */
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { addDevice, openPage } from './steps'

/** Opens the device from the list with Enter, as the keyboard does. */
async function openWithKeyboard(page: Page, deviceId: string): Promise<void> {
  await page.getByTestId('device-row').filter({ hasText: deviceId }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: `meter/${deviceId}` })).toBeFocused()
}

/** Deletes the open device with the keyboard: Delete, Tab from Cancel to the dialog's Delete, Enter; Undo then has the focus. */
async function deleteWithKeyboard(page: Page, deviceId: string): Promise<void> {
  await page.getByRole('button', { name: 'Delete', exact: true }).focus()
  await page.keyboard.press('Enter')
  const confirm = page.getByRole('dialog', { name: `Delete device meter/${deviceId}?` })
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await page.keyboard.press('Tab')
  await expect(confirm.getByRole('button', { name: 'Delete' })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(confirm).toBeHidden()
  await expect(page.getByRole('status').filter({ hasText: `Device meter/${deviceId} deleted.` })).toBeVisible()
  // The notice's Undo takes the focus once shown (focus-after-deletion.spec.ts): the next key goes from there.
  await expect(page.getByRole('button', { name: `Undo: restore meter/${deviceId}`, exact: true })).toBeFocused()
}

async function addDevices(page: Page, ids: readonly string[]): Promise<void> {
  await openPage(page, 'Devices')
  for (const id of ids) {
    await addDevice(page, 'meter', id)
    await expect(page.getByTestId('device-row').filter({ hasText: id })).toBeVisible()
  }
}

async function openTrash(page: Page): Promise<void> {
  await openPage(page, 'Settings')
  await page.getByRole('link', { name: 'Open the trash' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeFocused()
}

test('deleting a device from its page: the focus goes to the Undo of its notice, and stays there when the list comes back late', async ({ app }) => {
  const { page } = app
  // A busy core, as on the trial's machine: the list's reads are answered late, so the list comes back with the
  // deleted device still in it (the row the operator opened it from) until its refresh arrives; the list does not take
  // the focus back from Undo.
  let slowLists = false
  await page.routeWebSocket(/.*/, (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((message) => {
      const late = slowLists && typeof message === 'string' && (JSON.parse(message) as { channel?: string }).channel === 'devices:query'
      if (late) setTimeout(() => server.send(message), 800)
      else server.send(message)
    })
  })
  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  await addDevices(page, ['del-1', 'del-2'])
  const rows = page.getByTestId('device-row')
  const undo = (id: string) => page.getByRole('button', { name: `Undo: restore meter/${id}`, exact: true })
  slowLists = true

  await openWithKeyboard(page, 'del-1')
  await deleteWithKeyboard(page, 'del-1')
  await expect(undo('del-1')).toBeFocused()
  await expect(rows).toHaveCount(1)
  await expect(undo('del-1')).toBeFocused()

  // The last device: its Undo too, not the heading of the emptied list.
  await openWithKeyboard(page, 'del-2')
  await deleteWithKeyboard(page, 'del-2')
  await expect(page.getByText('No devices yet. Add one or import a file.')).toBeVisible()
  await expect(rows).toHaveCount(0)
  await expect(undo('del-2')).toBeFocused()
  // Enter on it brings the device back.
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'meter/del-2 restored.' })).toBeVisible()
  await expect(rows.filter({ hasText: 'del-2' })).toHaveCount(1)
  // The Undo went with its notice: the focus is on the device's row once the (late) list shows it, not on the heading.
  await expect(rows.filter({ hasText: 'del-2' })).toBeFocused()
})

test('restoring from the trash: the focus goes to the entry that took its place, the one before, then the "trash is empty" text', async ({ app }) => {
  const { page } = app
  const ids = ['del-1', 'del-2', 'del-3']
  await addDevices(page, ids)
  for (const id of ids) {
    await openWithKeyboard(page, id)
    await deleteWithKeyboard(page, id)
  }
  await openTrash(page)
  const rows = page.getByTestId('trash-row')
  // Newest first.
  await expect(rows).toHaveText([/meter\/del-3/, /meter\/del-2/, /meter\/del-1/])
  const restore = (id: string) => page.getByRole('button', { name: `Restore meter/${id}`, exact: true })

  // The middle entry: the focus goes to the one below, which took its place.
  await restore('del-2').focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'meter/del-2 restored.' })).toBeVisible()
  await expect(rows).toHaveCount(2)
  await expect(restore('del-1')).toBeFocused()

  // The last entry: the one above.
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'meter/del-1 restored.' })).toBeVisible()
  await expect(rows).toHaveCount(1)
  await expect(restore('del-3')).toBeFocused()

  // The only entry: the table is replaced by the text that says the trash is empty, and that text has the focus.
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: 'meter/del-3 restored.' })).toBeVisible()
  const empty = page.getByText('The trash is empty.')
  await expect(empty).toBeVisible()
  await expect(empty).toBeFocused()
  // The place is kept: Shift+Tab goes back within the view (Empty trash is off), not from the end of the page.
  await page.keyboard.press('Shift+Tab')
  await expect(page.getByRole('link', { name: 'Settings', exact: true }).last()).toBeFocused()
  await expect(page.getByRole('main').locator(':focus')).toHaveCount(1)
})

/**
 * Deletes a device and empties the trash, keyboard only, up to the confirmation's Enter (after `beforeConfirm`); answers
 * the trash's Empty trash button.
 */
async function emptyTrashWithKeyboard(page: Page, id: string, beforeConfirm: () => Promise<unknown> = async () => undefined): Promise<Locator> {
  await addDevices(page, [id])
  await openWithKeyboard(page, id)
  await deleteWithKeyboard(page, id)
  await openTrash(page)
  // The trash is read once its page is open: until then Empty trash is off (nothing known to empty), and focus() on it
  // does nothing, so the Enter below would go to the heading.
  await expect(page.getByTestId('trash-row')).toHaveCount(1)
  const empty = page.getByRole('button', { name: 'Empty trash' })
  await empty.focus()
  await page.keyboard.press('Enter')
  const confirm = page.getByRole('dialog', { name: 'Empty the trash?' })
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await page.keyboard.press('Tab')
  await expect(confirm.getByRole('button', { name: 'Empty trash' })).toBeFocused()
  await beforeConfirm()
  await page.keyboard.press('Enter')
  await expect(confirm).toBeHidden()
  return empty
}

test('Empty trash: once emptied (the button off), the focus goes to the "trash is empty" text', async ({ app }) => {
  const { page } = app
  const empty = await emptyTrashWithKeyboard(page, 'del-1')
  await expect(page.getByRole('status').filter({ hasText: '1 item deleted for good.' })).toBeVisible()
  await expect(empty).toBeDisabled()
  await expect(page.getByText('The trash is empty.')).toBeFocused()
})

test('Empty trash on a busy core: the focus still goes to the "trash is empty" text, not to the heading', async ({ app }) => {
  const { page } = app
  // A busy core, as on a 2-core machine under load: the task that turns the focused Empty trash off (the emptied trash
  // read again) runs 200 ms longer, so the app's last-resort check for the dialog's button (gone when it closed, 150 ms
  // before) comes due before the browser blurs Empty trash and busyButton hands the focus over. That check was for a
  // loss the focus had come back from (Empty trash had it again), and it sent it to the heading.
  // Page code as text: the e2e code compiles without the DOM library.
  await page.addInitScript(`
    new MutationObserver((records) => {
      const off = records.some((r) => window.busyCore && r.target instanceof HTMLButtonElement && r.target.disabled && r.target === document.activeElement)
      if (!off) return
      const end = performance.now() + 200
      while (performance.now() < end);
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['disabled'] })
  `)
  await page.reload()
  await page.waitForSelector('[data-app-state="ready"]')
  const empty = await emptyTrashWithKeyboard(page, 'del-1', () => page.evaluate('window.busyCore = true'))
  await expect(empty).toBeDisabled()
  await expect(page.getByText('The trash is empty.')).toBeFocused()
})
