/**
 * The SIM panel in French, from the keyboard alone, with a flaky link between Fieldline and the Control Center peer
 * (a TCP proxy the test switches: test/helpers/flaky-link.ts), as an operator at night on a 4G link would use it.
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

test('an SMS whose answer was cut is not sent again by a second Enter: sending it again asks first, and a sent SMS leaves the focus in its form', async ({ app }) => {
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
