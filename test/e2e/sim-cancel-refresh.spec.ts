/**
 * The SIM panel in French on a flaky link (a TCP proxy the test switches: test/helpers/flaky-link.ts): a refresh that
 * hangs is cancelled from the keyboard, and a panel left on the cached copy reads the carrier again by itself when the
 * network comes back.
 */
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { startFlakyLink, type FlakyLink } from '../helpers/flaky-link'
import { addJasperProfile, setEditorText } from './steps'
import { addAndOpenDevice, switchLanguage, words } from './words'

const peer = useControlCenterPeer({ devices: 5 })
const t = words('fr')
let link: FlakyLink | undefined

test.afterEach(async () => {
  await link?.close()
  link = undefined
})

test('Escape cancels a refresh and a "Show usage" that hang, keeping what is shown; the network coming back reads the SIM again by itself', async ({ app }) => {
  const { page } = app
  const p = new URL(peer().url)
  link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
  await switchLanguage(page, 'fr')
  await addJasperProfile(page, link.url, 'test-api-key', { t })
  await addAndOpenDevice(page, t, 'meter', 'm-1')
  await setEditorText(page, `{"jasper": {"iccid": "${peer().iccids[0]}"}}`)
  await page.keyboard.press('ControlOrMeta+s')
  const panel = page.getByRole('region', { name: t('sim.panel.jasperTitle') })
  await expect(panel.getByRole('definition').first()).toHaveText(t('sim.statuses.activated'))
  // The usage chart's first read (three calls) has ended: nothing else of this account is on the link when it stalls.
  await expect(panel.getByRole('figure', { name: t('sim.usage.chartTitle') })).toBeVisible()
  const refresh = panel.getByRole('button', { name: t('sim.panel.refresh'), exact: true })
  const cancel = panel.getByRole('button', { name: t('sim.panel.cancelRefresh') })
  await expect(cancel).toHaveCount(0)

  // The carrier's answer stalls after its first bytes: the read would wait for its 20 s deadline.
  link.set({ kind: 'stall', afterBytes: 12 })
  await refresh.focus()
  await page.keyboard.press('Enter')
  await expect(panel.getByRole('status').filter({ hasText: t('sim.panel.refreshing') })).toBeVisible()
  await page.keyboard.press('Tab')
  await expect(cancel).toBeFocused()
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Escape')
  await expect(panel.getByRole('status').filter({ hasText: t('sim.panel.refreshCancelled') })).toBeVisible()
  await expect(cancel).toHaveCount(0)
  await expect(refresh).toBeFocused()
  await expect(panel.getByRole('definition').first()).toHaveText(t('sim.statuses.activated'))
  await expect(panel.getByRole('alert')).toHaveCount(0)

  // "Show usage" on the same stalled link: Escape in its form cancels it, and no error is shown.
  const cycle = panel.getByLabel(t('sim.usage.cycleDate'))
  const cancelUsage = panel.getByRole('button', { name: t('sim.usage.cancel') })
  await cycle.fill(`${new Date().toISOString().slice(0, 8)}01`)
  await cycle.press('Enter')
  await expect(cancelUsage).toBeVisible()
  await cycle.press('Escape')
  await expect(panel.getByRole('status').filter({ hasText: t('sim.usage.cancelled') })).toBeVisible()
  await expect(cancelUsage).toHaveCount(0)
  await expect(panel.getByRole('alert')).toHaveCount(0)
  await refresh.focus()

  // The core abandoned the stalled requests, so the account is free: with the link back, a Refresh reads at once.
  link.set({ kind: 'pass' })
  await page.keyboard.press('Enter')
  await expect(panel.getByRole('status').filter({ hasText: t('sim.panel.refreshCancelled') })).toHaveCount(0)
  await expect(refresh).not.toHaveAttribute('aria-disabled')

  // The link drops: Refresh shows the cached copy "as of" its time with the reason. It comes back: the panel reads again by itself.
  const asOf = panel.getByRole('status').filter({ hasText: t('sim.panel.asOf', { time: '|' }).split('|')[0]! })
  link.set({ kind: 'down' })
  await page.keyboard.press('Enter')
  await expect(asOf).toBeVisible({ timeout: 30_000 })
  await expect(refresh).not.toHaveAttribute('aria-disabled')
  const before = peer().stats().requests
  link.set({ kind: 'pass' })
  // What the browser fires when the network returns (its emulated offline switch would also cut the console's own socket).
  await page.evaluate(() => (globalThis as unknown as { dispatchEvent(event: Event): boolean }).dispatchEvent(new Event('online')))
  await expect(panel.getByRole('status').filter({ hasText: t('sim.panel.linkBackRead') })).toBeVisible()
  await expect(asOf).toHaveCount(0)
  expect(peer().stats().requests).toBeGreaterThan(before)
})
