/**
 * The SIM panel in French, from the keyboard alone, with a flaky link between Fieldline and the Control Center peer
 * (a TCP proxy the test switches: test/helpers/flaky-link.ts), as an operator at night on a 4G link would use it: an SMS
 * whose answer was cut, a refresh that hangs cancelled from the keyboard, and a panel left on the cached copy reading the
 * carrier again by itself when the network comes back.
 */
import { useControlCenterPeer } from './control-center-world'
import type { Locator, Page } from '@playwright/test'
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

/** Opens m-1's Jasper panel, in French, its carrier reached through a new flaky link (passing everything for now). */
async function openPanelThroughLink(page: Page): Promise<{ panel: Locator; link: FlakyLink }> {
  const p = new URL(peer().url)
  link = await startFlakyLink({ host: p.hostname, port: Number(p.port) })
  await switchLanguage(page, 'fr')
  await addJasperProfile(page, link.url, 'test-api-key', { t })
  await addAndOpenDevice(page, t, 'meter', 'm-1')
  await setEditorText(page, `{"jasper": {"iccid": "${peer().iccids[0]}"}}`)
  await page.keyboard.press('ControlOrMeta+s')
  const panel = page.getByRole('region', { name: t('sim.panel.jasperTitle') })
  await expect(panel.getByRole('definition').first()).toHaveText(t('sim.statuses.activated'))
  return { panel, link }
}

test('an SMS whose answer was cut is not sent again by a second Enter: sending it again asks first, and a sent SMS leaves the focus in its form', async ({ app }) => {
  const { page } = app
  const { panel, link } = await openPanelThroughLink(page)

  const text = panel.getByLabel(t('sim.sms.text'))
  const send = panel.getByRole('button', { name: t('sim.sendSms'), exact: true })
  await text.focus()
  await page.keyboard.type('Disjoncteur 3 ouvert')
  await page.keyboard.press('Tab')
  await expect(send).toBeFocused()
  // The carrier takes the SMS, and the link is cut as its answer starts: the outcome is unknown.
  link.set({ kind: 'reset' })
  await page.keyboard.press('Enter')
  await expect(panel.getByRole('alert')).toHaveText(t('sim.sms.unknownOutcome'))
  expect(peer().stats().smsSent).toBe(1)
  await expect(send).toBeFocused()
  link.set({ kind: 'pass' })

  // A second Enter (the operator thinking the first did nothing) asks first, with Cancel focused: Escape sends nothing.
  await page.keyboard.press('Enter')
  const again = page.getByRole('dialog', { name: t('sim.sms.confirmResend') })
  await expect(again).toBeVisible()
  await expect(again.getByRole('button', { name: t('common.cancel') })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(again).toBeHidden()
  await expect(send).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(again).toBeVisible()
  await page.keyboard.press('Enter')
  await expect(again).toBeHidden()
  expect(peer().stats().smsSent).toBe(1)
  await expect(text).toHaveValue('Disjoncteur 3 ouvert')

  // Sent again on purpose, once; the focus stays in the SMS form (back in its emptied text), not on the page's heading.
  await page.keyboard.press('Enter')
  await page.keyboard.press('Tab')
  await expect(again.getByRole('button', { name: t('sim.sendSms') })).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(panel.getByRole('status').filter({ hasText: /SMS \d+/ })).toContainText(t('sim.smsStatuses.Delivered'), { timeout: 20_000 })
  expect(peer().stats().smsSent).toBe(2)
  await expect(text).toHaveValue('')
  await expect(text).toBeFocused()

  // A new text after a send that worked goes without a question.
  await page.keyboard.type('Disjoncteur 3 refermé')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await expect(text).toHaveValue('')
  await expect.poll(() => peer().stats().smsSent).toBe(3)
  await expect(page.getByRole('dialog')).toHaveCount(0)
})

test('Escape cancels a refresh and a "Show usage" that hang, keeping what is shown; the network coming back reads the SIM again by itself', async ({ app }) => {
  const { page } = app
  const { panel, link } = await openPanelThroughLink(page)
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

test('the usage chart’s refresh that hangs stops with its Cancel (Tab, Enter) or Escape in the chart, keeping the cycles shown, and makes no further call', async ({ app }) => {
  const { page } = app
  const { panel, link } = await openPanelThroughLink(page)
  const chart = panel.getByRole('figure', { name: t('sim.usage.chartTitle') })
  const refreshChart = panel.getByRole('button', { name: t('sim.usage.refreshChart'), exact: true })
  const cancelChart = panel.getByRole('button', { name: t('sim.usage.cancelChart') })
  const cancelled = panel.getByRole('status').filter({ hasText: t('sim.usage.chartCancelled') })
  // The chart's first read (three calls) has ended.
  await expect(chart).toBeVisible()
  await expect(refreshChart).not.toHaveAttribute('aria-disabled')
  const bars = await chart.getByTestId('usage-bar').count()
  const usageCalls = () => Object.entries(peer().stats().byRoute).reduce((sum, [route, n]) => sum + (route.includes('usageInZone') ? n : 0), 0)
  const before = usageCalls()

  // The open cycle's answer stalls after its first bytes: the read would wait for its 20 s deadline.
  link.set({ kind: 'stall', afterBytes: 12 })
  await refreshChart.focus()
  await page.keyboard.press('Enter')
  await expect(panel.getByRole('status').filter({ hasText: t('sim.usage.chartReading') })).toBeVisible()
  await expect.poll(usageCalls).toBe(before + 1)
  await page.keyboard.press('Tab')
  await expect(cancelChart).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(cancelled).toBeVisible()
  await expect(cancelChart).toHaveCount(0)
  await expect(refreshChart).toBeFocused()
  await expect(chart.getByTestId('usage-bar')).toHaveCount(bars)
  await expect(panel.getByRole('alert')).toHaveCount(0)

  // Again, stopped by Escape with the focus in the chart's card.
  await page.keyboard.press('Enter')
  await expect(cancelChart).toBeVisible()
  await expect.poll(usageCalls).toBe(before + 2)
  await page.keyboard.press('Escape')
  await expect(cancelled).toBeVisible()
  await expect(cancelChart).toHaveCount(0)
  await expect(refreshChart).toBeFocused()
  await expect(chart.getByTestId('usage-bar')).toHaveCount(bars)

  // Neither cancelled read made its two other calls, and the account is free: with the link back, the refresh reads its three at once.
  link.set({ kind: 'pass' })
  await page.keyboard.press('Enter')
  await expect(cancelled).toHaveCount(0)
  await expect(refreshChart).not.toHaveAttribute('aria-disabled')
  expect(usageCalls()).toBe(before + 5)
})

test('leaving a device while its SIM read hangs cancels that read: the next device’s SIM is read at once, not after the hung read’s 20 s', async ({ app }) => {
  const { page } = app
  const { panel, link } = await openPanelThroughLink(page)
  // The usage chart's first read (three calls) has ended: nothing else of this account is on the link when it stalls.
  await expect(panel.getByRole('figure', { name: t('sim.usage.chartTitle') })).toBeVisible()
  const reads = (iccid: string) =>
    peer()
      .stats()
      .calls.filter((c) => c === `GET /rws/api/v1/devices/${iccid}`).length
  const [first, other] = [peer().iccids[0]!, peer().iccids[1]!]
  const before = reads(first)

  // m-1's Refresh reaches the carrier, whose answer stalls: the core holds the account (one call at a time) for it.
  link.set({ kind: 'stall', afterBytes: 12 })
  await panel.getByRole('button', { name: t('sim.panel.refresh'), exact: true }).click()
  await expect(panel.getByRole('status').filter({ hasText: t('sim.panel.refreshing') })).toBeVisible()
  await expect.poll(() => reads(first)).toBe(before + 1)

  // Off to another device: m-1's panel closes, and with it its read.
  await addAndOpenDevice(page, t, 'meter', 'm-2')
  link.set({ kind: 'pass' })
  await setEditorText(page, `{"jasper": {"iccid": "${other}"}}`)
  await page.keyboard.press('ControlOrMeta+s')

  // m-2's SIM is read now: a read still held would keep the account until its 20 s deadline, well past this wait, and
  // m-2's own read (queued behind it, its deadline running) would end as a timeout with nothing to show.
  const next = page.getByRole('region', { name: t('sim.panel.jasperTitle') })
  await expect(next.getByRole('definition').first()).toHaveText(t('sim.statuses.retired'))
  await expect(next.getByRole('alert')).toHaveCount(0)
  // The carrier saw m-1's read and then m-2's: m-1's panel asked nothing more once it closed.
  const calls = peer().stats().calls
  const held = calls.lastIndexOf(`GET /rws/api/v1/devices/${first}`)
  expect(calls.slice(held + 1).filter((c) => c.includes(first))).toEqual([])
  expect(calls.slice(held + 1)[0]).toBe(`GET /rws/api/v1/devices/${other}`)
})
