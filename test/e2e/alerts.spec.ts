/**
 * Usage alerts end to end against the Control Center peer: a device names a SIM, its panel reads the SIM (status,
 * this cycle's usage, the recent cycles) into the cache, a "share of the plan allowance" rule is added with an
 * allowance below what the SIM used, "Check now" fires it, and the operator sees the badge, finds the notification in
 * the Inbox, follows its link to the device, whose usage chart now draws the allowance and flags the cycle over it,
 * then marks the notification read. In English and in French (amounts typed with the language's decimal sign).
 * Saving a profile puts its API key in the OS keychain, so the serve process needs a D-Bus session with an unlocked
 * keyring (.ci/run provides one).
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { useControlCenterPeer } from './control-center-world'
import { expect, test } from './fixtures'
import { addDevice, addJasperProfile, openDevice, openPage, setEditorText } from './steps'
import { LANGUAGES, switchLanguage, words, type Words } from './words'

const API_KEY = 'test-api-key'

const peer = useControlCenterPeer({ devices: 20 })

/** Asks the peer itself (as any API client would) for a SIM that used more than 2 MB this cycle, and its rate plan. */
async function busySim(): Promise<{ iccid: string; ratePlan: string; bytes: number }> {
  const headers = { authorization: `Basic ${Buffer.from(`ops:${API_KEY}`).toString('base64')}`, accept: 'application/json' }
  for (const iccid of peer().iccids) {
    const usage = (await (await fetch(`${peer().url}/rws/api/v1/devices/${iccid}/ctdUsages`, { headers })).json()) as { ctdDataUsage: number }
    if (usage.ctdDataUsage <= 2e6) continue
    const details = (await (await fetch(`${peer().url}/rws/api/v1/devices/${iccid}`, { headers })).json()) as { ratePlan: string }
    return { iccid, ratePlan: details.ratePlan, bytes: usage.ctdDataUsage }
  }
  throw new Error('the peer has no SIM that used more than 2 MB this cycle')
}

/** axe over the page as it is now (the accessibility spec's rules), one line per violation. */
async function violations(page: Page, view: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  return result.violations.map((v) => `${view}: ${v.id} ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)
}

/** The inbox link in the navigation; its accessible name carries the unread count when there is one. */
const inboxLink = (page: Page, t: Words) => page.getByRole('navigation').getByRole('link', { name: new RegExp(`^${t('nav.inbox')}`) })

for (const language of LANGUAGES) {
  test(`a rule fires against peer data: badge, notification, its link to the device, the chart over the allowance, mark read (${language})`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    const sim = await busySim()
    await addJasperProfile(page, peer().url, API_KEY)
    await openPage(page, 'Devices')
    await addDevice(page, 'meter', 'm-1')
    await openDevice(page, 'm-1')
    await setEditorText(page, `{"jasper": {"iccid": "${sim.iccid}"}}`)
    await page.getByRole('button', { name: 'Save configuration' }).click()
    const panel = page.getByRole('region', { name: 'Jasper SIM' })
    await expect(panel.getByText(sim.iccid, { exact: true })).toBeVisible()
    // No allowance is known yet: the chart draws none.
    await expect(panel.getByRole('figure', { name: 'Data per billing cycle' })).toBeVisible()
    await expect(panel.getByTestId('allowance-line')).toHaveCount(0)

    await switchLanguage(page, language)
    await inboxLink(page, t).click()
    await expect(page.getByRole('heading', { level: 1, name: t('inbox.ui.title') })).toBeVisible()
    await expect(page.getByText(t('inbox.ui.empty'))).toBeVisible()
    await page.getByRole('link', { name: t('alerts.ui.title') }).click()
    await expect(page.getByRole('heading', { level: 1, name: t('alerts.ui.title') })).toBeVisible()

    // An allowance of a third of what the SIM used, in MB with three decimals and the language's decimal sign.
    const allowanceMb = Math.floor(sim.bytes / 3 / 1000) / 1000
    const typed = new Intl.NumberFormat(language, { minimumFractionDigits: 3, useGrouping: false }).format(allowanceMb)
    await page.getByRole('button', { name: t('alerts.ui.addRule') }).click()
    const dialog = page.getByRole('dialog', { name: t('alerts.ui.addTitle') })
    await dialog.getByLabel(t('alerts.ui.kind')).selectOption({ label: t('alerts.ui.kinds.dataShare') })
    // Refused as the contract refuses it, in the language: no name, no allowance.
    await dialog.getByLabel(t('alerts.ui.percent')).fill('80')
    await dialog.getByRole('button', { name: t('alerts.ui.add'), exact: true }).click()
    await expect(dialog.getByText(t('form.required')).first()).toBeVisible()
    await expect(dialog.getByText(t('alerts.ui.amountInvalid'))).toBeVisible()
    await dialog.getByLabel(t('alerts.ui.name')).fill('Près du forfait')
    await expect(dialog.getByLabel(t('alerts.ui.id'))).toHaveValue('pres-du-forfait')
    await dialog.getByLabel(t('alerts.ui.plan', { n: 1 }), { exact: true }).fill(sim.ratePlan)
    await dialog.getByLabel(t('alerts.ui.allowance', { n: 1 })).fill(typed)
    await dialog.getByLabel(t('alerts.ui.unitOf', { n: 1 })).selectOption({ label: t('alerts.ui.units.MB') })
    await dialog.getByRole('button', { name: t('alerts.ui.add'), exact: true }).click()
    await expect(dialog).toBeHidden()
    const rule = page.getByTestId('alert-rule').filter({ hasText: 'Près du forfait' })
    await expect(rule).toContainText(sim.ratePlan)

    await page.getByRole('button', { name: t('alerts.ui.check') }).click()
    await expect(page.getByRole('status').filter({ hasText: t('alerts.ui.checked', { count: 1 }) })).toBeVisible()
    // The badge follows inbox:changed, and says the count in words to assistive technology.
    await expect(inboxLink(page, t)).toHaveAccessibleName(`${t('nav.inbox')} ${t('inbox.ui.navBadge', { count: 1 })}`)
    // Checking again finds the same condition still true: it does not fire twice.
    await page.getByRole('button', { name: t('alerts.ui.check') }).click()
    await expect(page.getByRole('status').filter({ hasText: t('alerts.ui.checked', { count: 0 }) })).toBeVisible()

    await inboxLink(page, t).click()
    const row = page.getByTestId('notification')
    await expect(row).toHaveCount(1)
    await expect(row).toContainText(t('inbox.ui.unread'))
    await expect(row).toContainText('Près du forfait')
    await expect(row.getByRole('link', { name: t('inbox.ui.subject.device', { device: 'meter/m-1' }) })).toBeVisible()
    // In a 1280×720 window the row's button shows whole: the list cut "Marquer comme lue" to "Marquer comm".
    await page.setViewportSize({ width: 1280, height: 720 })
    const overhang = await row.getByRole('button').evaluate((button) => {
      interface Box {
        parentElement: Box | null
        getBoundingClientRect(): { right: number }
      }
      const win = globalThis as unknown as { getComputedStyle(e: Box): { overflowX: string } }
      const right = (button as unknown as Box).getBoundingClientRect().right
      let over = 0
      for (let e = (button as unknown as Box).parentElement; e; e = e.parentElement) if (win.getComputedStyle(e).overflowX !== 'visible') over = Math.max(over, right - e.getBoundingClientRect().right)
      return Math.round(over)
    })
    expect(overhang).toBeLessThanOrEqual(0)
    // A populated inbox and (below) a chart over its allowance are views the accessibility spec cannot reach without a peer.
    expect(await violations(page, 'inbox with an unread notification')).toEqual([])
    await row.getByRole('link').click()
    await expect(page).toHaveURL(/#\/devices\/meter\/m-1$/)

    // The device's chart now draws the plan allowance and flags the cycle over it, in the table too.
    const chart = page.getByRole('figure', { name: t('sim.usage.chartTitle') })
    await expect(chart.getByTestId('allowance-line')).toHaveCount(1)
    await expect(chart.getByText(t('sim.usage.overKey'))).toBeVisible()
    // The table says it in words: "<allowance>, over by <amount>".
    const overWords = t('sim.usage.overBy', { allowance: '\u0001', over: '\u0002' }).split('\u0001')[1]!.split('\u0002')[0]!
    await expect(chart.getByRole('table')).toContainText(overWords)
    // The table is for assistive technology. A table ignores its own size limits, so it sits in a 1-pixel clipping box
    // (the old chart gave the table itself the hidden class: a 411 × 150 box), and no scrolling box grows for it.
    const hidden = await chart.getByRole('table').evaluate((table) => {
      // Runs in the page; the Node typings this file is checked with do not declare the DOM.
      interface Box {
        parentElement: Box | null
        scrollWidth: number
        scrollHeight: number
        style: { display: string }
        getBoundingClientRect(): { width: number; height: number }
      }
      const win = globalThis as unknown as { document: { scrollingElement: Box }; getComputedStyle(e: Box): { overflow: string; overflowX: string; overflowY: string } }
      const element = table as unknown as Box
      const scrollers: Box[] = [win.document.scrollingElement]
      for (let e = element.parentElement; e; e = e.parentElement) if (/auto|scroll/.test(win.getComputedStyle(e).overflowY + win.getComputedStyle(e).overflowX)) scrollers.push(e)
      const sizes = () => scrollers.map((e) => `${e.scrollWidth}x${e.scrollHeight}`)
      const shown = sizes()
      element.style.display = 'none'
      const gone = sizes()
      element.style.display = ''
      const clip = element.parentElement!.getBoundingClientRect()
      return { clip: [clip.width, clip.height, win.getComputedStyle(element.parentElement!).overflow], grown: shown.filter((s, i) => s !== gone[i]) }
    })
    expect(hidden).toEqual({ clip: [1, 1, 'hidden'], grown: [] })

    expect(await violations(page, 'device page with the chart over its allowance')).toEqual([])

    await inboxLink(page, t).click()
    await row.getByRole('button', { name: t('inbox.ui.markReadLabel', { rule: 'Près du forfait', subject: t('inbox.ui.subject.device', { device: 'meter/m-1' }) }) }).click()
    await expect(row).toContainText(t('inbox.ui.read'))
    await expect(inboxLink(page, t)).toHaveAccessibleName(t('nav.inbox'))
    await expect(page.getByRole('button', { name: t('inbox.ui.markAll') })).toBeDisabled()
    await page.getByLabel(t('inbox.ui.show')).selectOption({ label: t('inbox.ui.filters.unread') })
    await expect(page.getByText(t('inbox.ui.noneUnread'))).toBeVisible()
  })
}
