/**
 * Clear selection, from the keyboard, in French: the button goes with the selection, and the focus goes to the control
 * that takes its place (Select all matching) rather than to the page, in the device list and in the SIM inventory
 * (cold trial: Enter on "Effacer la sélection" left the focus on the page, so the next Tab started from the top).
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { importDevices, switchLanguage, words } from './words'

const fr = words('fr')

const FLEET = ['typeId,deviceId,description,carrier,iccid', 'meter,m-1,Nord,jasper,89882160000000000011', 'meter,m-2,Sud,jasper,89882160000000000029', 'valve,v-1,Est,,']

/** Focuses a button by its name and presses Enter on it: the keyboard's way, not a click. */
async function pressButton(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).focus()
  await page.keyboard.press('Enter')
}

test('clearing the selection from the keyboard leaves the focus on Select all matching, in the device list and the SIM inventory', async ({ app }) => {
  const { page } = app
  await switchLanguage(page, 'fr')
  await page
    .getByRole('navigation')
    .getByRole('link', { name: fr('nav.devices'), exact: true })
    .click()
  await importDevices(page, fr, FLEET)

  const devicesBar = page.getByRole('region', { name: fr('devices.selection.label') })
  const selectDevices = devicesBar.getByRole('button', { name: fr('devices.selection.selectAll', { count: 3 }) })
  await pressButton(page, fr('devices.selection.selectAll', { count: 3 }))
  await expect(devicesBar.getByRole('status').first()).toHaveText(fr('devices.selection.count', { count: 3 }))
  await pressButton(page, fr('devices.selection.clear'))
  await expect(devicesBar.getByRole('status').first()).toHaveText(fr('devices.selection.none'))
  await expect(selectDevices).toBeFocused()

  await page
    .getByRole('navigation')
    .getByRole('link', { name: fr('nav.sims'), exact: true })
    .click()
  const simsBar = page.getByRole('region', { name: fr('sims.selection.label') })
  const selectSims = simsBar.getByRole('button', { name: fr('sims.selection.selectAll', { count: 2 }) })
  await pressButton(page, fr('sims.selection.selectAll', { count: 2 }))
  await expect(simsBar.getByRole('status').first()).toHaveText(fr('sims.selection.count', { count: 2 }))
  await pressButton(page, fr('sims.selection.clear'))
  await expect(simsBar.getByRole('status').first()).toHaveText(fr('sims.selection.none'))
  await expect(selectSims).toBeFocused()
})
