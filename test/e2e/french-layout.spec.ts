/**
 * The French screenshot check, measured rather than looked at: every main view in French at 1366×768, where no
 * button's words wrap onto a second line, no long value (a URL, a 32-character mbed endpoint id, an ICCID) breaks in
 * its middle, and a value the layout cuts carries its whole text as a tooltip (title). A Jasper profile (its API URL on
 * its card) and a device holding one of its SIMs (the SIM panel, its actions) fill the views; saving the profile puts
 * its API key in the OS keychain, so the serve process needs a D-Bus session with an unlocked keyring.
 */
import type { Page } from '@playwright/test'
import { startControlCenterPeer } from '../peers/control-center/control-center.peer'
import type { Box, Browser, TextRange } from './dom'
import { expect, test } from './fixtures'
import { addJasperProfile, skipWithoutKeyring } from './steps'
import { importDevices, switchLanguage, words } from './words'

/** An mbed endpoint id (32 hexadecimal characters) used as a device ID. */
const ENDPOINT = '0157a2b7c1e40000000000010010016d'

/** Problems of the view on screen, as words a failure can show; found in the page by its layout, never by pixels. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document, getComputedStyle, NodeFilter, PointerEvent } = globalThis as unknown as Browser
    const problems: string[] = []
    const shown = (e: Box) => {
      const r = e.getBoundingClientRect()
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'
    }
    /** How many lines a range of text takes: its boxes' tops, a line apart. */
    const lineCount = (range: TextRange) => {
      const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top)
      tops.sort((a, b) => a - b)
      return tops.reduce((n, top, i) => (i > 0 && top - tops[i - 1]! > 4 ? n + 1 : n), tops.length > 0 ? 1 : 0)
    }

    for (const button of document.querySelectorAll('button, [role="button"]')) {
      if (!shown(button) || button.closest('.monaco-editor')) continue
      const text = button.textContent?.trim() ?? ''
      if (text === '') continue
      const range = document.createRange()
      range.selectNodeContents(button)
      if (lineCount(range) > 1) problems.push(`button wraps: “${text}”`)
    }

    const VALUE = /https?:\/\/[^\s"'<>]+|\b[0-9a-f]{32}\b|\b\d{19,20}\b/g
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const owner = node.parentElement
      if (!owner || !shown(owner) || owner.closest('.monaco-editor, .visually-hidden, script, style')) continue
      for (const match of (node.textContent ?? '').matchAll(VALUE)) {
        const value = match[0]
        const range = document.createRange()
        range.setStart(node, match.index!)
        range.setEnd(node, match.index! + value.length)
        if (lineCount(range) > 1) problems.push(`value breaks: ${value} in <${owner.tagName.toLowerCase()}>`)
        // Cut: an ancestor that hides its overflow ends before the value does.
        const right = range.getBoundingClientRect().right
        for (let box: Box | null = owner; box && box !== document.body; box = box.parentElement) {
          if (getComputedStyle(box).overflowX === 'visible') continue
          if (right <= box.getBoundingClientRect().right + 1) continue
          // A tooltip shows under the pointer, and the lists give a cut cell its title when the pointer comes
          // (lib/title-when-cut.ts): the pointer is brought over the value first.
          for (let over: Box | null = owner; over && over !== document.body; over = over.parentElement) over.dispatchEvent(new PointerEvent('pointerenter'))
          const title = owner.closest('[title]')?.getAttribute('title') ?? ''
          if (!title.includes(value)) problems.push(`value cut without a tooltip: ${value} in <${owner.tagName.toLowerCase()}>`)
          break
        }
      }
    }
    return problems
  })
}

test('every main view in French at 1366×768: no wrapped button, no value broken in its middle, a tooltip on every cut value', async ({ app }) => {
  skipWithoutKeyring()
  test.setTimeout(180_000)
  const peer = await startControlCenterPeer({ devices: 3 })
  try {
    const ICCID = peer.iccids[0]!
    const { page } = app
    const t = words('fr')
    await page.setViewportSize({ width: 1366, height: 768 })
    await addJasperProfile(page, peer.url, 'test-api-key')
    await switchLanguage(page, 'fr')
    const nav = page.getByRole('navigation')
    await nav.getByRole('link', { name: t('nav.devices'), exact: true }).click()
    await importDevices(page, t, ['typeId,deviceId,description,carrier,iccid', `meter,${ENDPOINT},Poste nord,jasper,${ICCID}`, 'gateway,gw-1,,,'])

    // The check itself finds what it looks for: a narrow button whose words wrap, a value broken across lines, and a
    // cut one without a tooltip (put on the page for the test, then taken away).
    await page.evaluate(
      ([endpoint, iccid]) => {
        const { document } = globalThis as unknown as Browser
        const probe = document.createElement('div')
        probe.id = 'layout-probe'
        probe.innerHTML = `<button type="button" style="width:4rem">Enregistrer le profil</button><p style="width:5rem;overflow-wrap:anywhere">${endpoint}</p><p style="width:5rem;overflow:hidden;white-space:nowrap">${iccid}</p>`
        document.querySelector('main')!.prepend(probe)
      },
      [ENDPOINT, ICCID],
    )
    expect(await layoutProblems(page)).toEqual(['button wraps: “Enregistrer le profil”', `value breaks: ${ENDPOINT} in <p>`, `value cut without a tooltip: ${ICCID} in <p>`])
    await page.evaluate(() => (globalThis as unknown as Browser).document.getElementById('layout-probe')!.remove())

    const found: string[] = []
    const check = async (view: string) => {
      // A cut value's tooltip is set when the pointer comes (title-when-cut.ts): the pointer passes over the page first.
      await page.mouse.move(683, 384)
      for (const problem of await layoutProblems(page)) found.push(`${view}: ${problem}`)
    }

    await expect(page.getByTestId('device-row')).toHaveCount(2)
    await check('devices')
    await page.getByTestId('device-row').filter({ hasText: ENDPOINT }).click()
    await expect(page.getByRole('heading', { name: t('config.title') })).toBeVisible()
    await expect(
      page
        .getByRole('region', { name: t('sim.panel.jasperTitle') })
        .getByRole('definition')
        .first(),
    ).not.toBeEmpty()
    await check('device')
    for (const view of ['extensions', 'sims', 'packages', 'mbed', 'ledger', 'inbox', 'jobs', 'team', 'activity', 'settings'] as const) {
      await nav.getByRole('link', { name: new RegExp(`^${t(`nav.${view}`)}`) }).click()
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      await check(view)
    }
    for (const [view, hash] of [
      ['trash', '#/trash'],
      ['alerts', '#/alerts'],
    ] as const) {
      await page.evaluate((to) => ((globalThis as unknown as { location: { hash: string } }).location.hash = to), hash)
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      await check(view)
    }
    expect(found).toEqual([])
  } finally {
    await peer.close()
  }
})

test('at 200 % zoom of a 1280×720 screen (640×360 CSS pixels), every main view fits its width: no sideways scroll', async ({ app }) => {
  const { page } = app
  await switchLanguage(page, 'fr')
  // 640 × 360 less two scrollbars of 15 px (the window's and the page's), which Playwright's Chromium hides and a desktop
  // browser shows.
  await page.setViewportSize({ width: 610, height: 360 })
  const heading = page.getByRole('heading', { level: 1 })
  const wide: string[] = []
  for (const view of ['extensions', 'devices', 'sims', 'packages', 'mbed', 'team', 'activity', 'trash', 'inbox', 'alerts', 'jobs']) {
    const before = await heading.textContent()
    await page.evaluate(`location.hash = '#/${view}'`)
    await expect(heading).not.toHaveText(before ?? '')
    // The Extensions gallery's cards kept 24rem, 6 px wider than the page beside the navigation (cold trial).
    const over = await page.locator('main').evaluate((main) => main.scrollWidth - main.clientWidth)
    if (over > 1) wide.push(`${view}: ${over}px`)
  }
  expect(wide).toEqual([])
})
