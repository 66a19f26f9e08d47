/**
 * A button that is off while its action runs keeps the focus (lib/busy-button): the cold trial pressed Enter on
 * "Verify connection" and "Show events", the buttons were disabled, the browser dropped the focus to the page and the
 * next Tab started from the top. Here the Control Center answers only when the test lets it, so the run lasts as long
 * as the test needs: meanwhile the button has the focus, says it is busy, and neither Enter, Space nor a click starts a
 * second verification.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from './fixtures'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import { useMbedWorld } from './mbed-world'
import { addPlatform, words } from './words'
import { addDevice, addJasperProfile, openDevice, openPage, setEditorText, skipWithoutKeyring } from './steps'

/** A Control Center that holds every request until released, then refuses the credentials (no retry follows a 401). */
async function startHeldCarrier() {
  let requests = 0
  let held: ServerResponse[] = []
  let open = false
  const refuse = (res: ServerResponse) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"errorMessage":"held carrier refuses","errorCode":"10000001"}')
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1
    req.resume()
    if (open) refuse(res)
    else held.push(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    release() {
      open = true
      for (const res of held) refuse(res)
      held = []
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

test('Enter on Verify connection: the focus stays on the button while it runs and after, and a second press starts nothing', async ({ app }) => {
  // The profile's API key goes to the OS keychain: skipped with the reason without one, a failure under FIELDLINE_STRICT=1.
  skipWithoutKeyring()
  const { page } = app
  const carrier = await startHeldCarrier()
  try {
    const card = await addJasperProfile(page, carrier.url, 'test-api-key')
    const verify = card.getByRole('button', { name: 'Verify connection' })
    await verify.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => carrier.requests()).toBe(1)
    await expect(card.getByRole('status')).toHaveText('Verifying the connection…')
    // Off, announced as busy, and still where the operator is: not dropped to the page.
    await expect(verify).toBeFocused()
    await expect(verify).toHaveAttribute('aria-disabled', 'true')
    await expect(verify).toHaveAttribute('aria-busy', 'true')

    // Pressed again while it runs, from the keyboard and the pointer: nothing starts.
    await page.keyboard.press('Enter')
    await page.keyboard.press('Space')
    await verify.click({ force: true })
    await expect(verify).toBeFocused()

    carrier.release()
    await expect(card.getByRole('status')).toContainText('The connection failed')
    await expect(verify).not.toHaveAttribute('aria-disabled')
    await expect(verify).not.toHaveAttribute('aria-busy')
    await expect(verify).toBeFocused()
    // The place is kept: Tab goes on to the card's next button, not back to the top of the page.
    await page.keyboard.press('Tab')
    await expect(card.getByRole('button', { name: 'Edit' })).toBeFocused()

    // A press once the run has ended starts one verification: had a press during the run started one, it would have
    // reached the carrier before this one.
    await verify.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => carrier.requests()).toBe(2)
    await expect(verify).not.toHaveAttribute('aria-disabled')
    await expect(card.getByRole('status')).toContainText('The connection failed')
    expect(carrier.requests()).toBe(2)
  } finally {
    await carrier.close()
  }
})

test('Enter on a confirmed SIM status change: the dialog closes on an opener that is now off, and the focus goes to its group, not the page', async ({ app }) => {
  // The profile's API key goes to the OS keychain: skipped with the reason without one, a failure under FIELDLINE_STRICT=1.
  skipWithoutKeyring()
  const { page } = app
  const peer = await startControlCenterPeer({ devices: 5 })
  try {
    const iccid = peer.iccids[0]!
    await addJasperProfile(page, peer.url, 'test-api-key')
    await openPage(page, 'Devices')
    await addDevice(page, 'meter', 'sim-1')
    await openDevice(page, 'sim-1')
    await setEditorText(page, `{"jasper": {"iccid": "${iccid}"}}`)
    await page.getByRole('button', { name: 'Save configuration' }).click()
    const panel = page.getByRole('region', { name: 'Jasper SIM' })
    await expect(panel.locator('dd').first()).toHaveText('Activated')

    const newStatus = panel.getByLabel('New status')
    await newStatus.selectOption({ label: 'Deactivated' })
    const change = panel.getByRole('button', { name: 'Change status' })
    await change.focus()
    await page.keyboard.press('Enter')
    const confirm = page.getByRole('dialog', { name: `Change SIM ${iccid} from Activated to Deactivated?` })
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused()
    await page.keyboard.press('Tab')
    await expect(confirm.getByRole('button', { name: 'Change status' })).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(confirm).toBeHidden()
    await expect(panel.locator('dd').first()).toHaveText('Deactivated')
    // The SIM now has the status chosen: "Change status", the opener, is off and cannot take the focus back. It goes
    // to the control beside it rather than to the page (where the next Tab would start from the top).
    await expect(change).toBeDisabled()
    await expect(newStatus).toBeFocused()
  } finally {
    await peer.close()
  }
})

test.describe('a button its own outcome turns off', () => {
  const world = useMbedWorld()

  test("Enter on the bridge's Start: once running (Start off), the focus is on Stop; Enter on Stop brings it back to Start", async ({ app }) => {
    const { page } = app
    await openPage(page, 'Extensions')
    await addPlatform(page, words('en'), world.broker.url)
    const card = page.getByRole('region', { name: 'ARM mbed Connector' })
    await card.getByRole('button', { name: 'Add' }).click()
    const dialog = page.getByRole('dialog', { name: 'New ARM mbed Connector profile' })
    await dialog.getByLabel('Profile name').fill('Lab mbed')
    await dialog.getByLabel('API host').fill(world.peer.url)
    await dialog.getByLabel('Access key').fill('ak_test_key')
    await dialog.getByLabel('Platform profile').selectOption({ label: 'Local broker' })
    await dialog.getByRole('button', { name: 'Save profile' }).click()
    await expect(dialog).toBeHidden()

    await openPage(page, 'mbed')
    const bridge = page.getByRole('region', { name: 'Bridge' })
    const start = bridge.getByRole('button', { name: 'Start' })
    const stop = bridge.getByRole('button', { name: 'Stop' })
    await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Stopped')
    await start.focus()
    await page.keyboard.press('Enter')
    await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Running')
    await expect(start).toBeDisabled()
    await expect(stop).toBeFocused()

    await page.keyboard.press('Enter')
    await expect(bridge.getByTestId('mbed-bridge-state')).toHaveText('Stopped')
    await expect(stop).toBeDisabled()
    await expect(start).toBeFocused()
  })
})
