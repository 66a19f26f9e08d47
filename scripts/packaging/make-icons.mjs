#!/usr/bin/env node
/**
 * `npm run icons` (run by `npm run package`): renders resources/icon.svg with Chromium into resources/icons/
 * (git-ignored): PNGs for Linux by size, icon.png (1024 px), icon.ico and icon.icns. They are generated rather
 * than committed because Chromium's PNGs of the gradient weigh 1.2 MB together, and regenerating them at every
 * packaging means a changed SVG can never ship stale icons. The Chromium is FIELDLINE_CHROMIUM, else Debian's
 * /usr/bin/chromium when present, else Playwright's own (`npx playwright install chromium` on CI runners).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium } from '@playwright/test'
import { encodeIcns, encodeIco, pngSize } from './icon-containers.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
export const LINUX_SIZES = Object.freeze([16, 24, 32, 48, 64, 128, 256, 512])
export const ICO_SIZES = Object.freeze([16, 24, 32, 48, 64, 128, 256])
const ALL = [...new Set([...LINUX_SIZES, ...ICO_SIZES, 1024])].sort((a, b) => a - b)

export function chromiumPath() {
  if (process.env.FIELDLINE_CHROMIUM) return process.env.FIELDLINE_CHROMIUM
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

/** Renders `svgPath` at every size and writes the icon set into `out`. */
export async function makeIcons(svgPath = join(root, 'resources', 'icon.svg'), out = join(root, 'resources', 'icons')) {
  const svg = readFileSync(svgPath)
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const page = await browser.newPage()
    const src = `data:image/svg+xml;base64,${svg.toString('base64')}`
    const pngs = new Map()
    for (const size of ALL) {
      await page.setViewportSize({ width: size, height: size })
      await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${src}" width="${size}" height="${size}" style="display:block"></body></html>`)
      await page.locator('img').evaluate((img) => img.decode())
      const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } })
      const actual = pngSize(png)
      if (actual.width !== size || actual.height !== size) throw new Error(`rendered ${actual.width}x${actual.height} for ${size}`)
      pngs.set(size, png)
    }
    mkdirSync(out, { recursive: true })
    for (const size of LINUX_SIZES) writeFileSync(join(out, `${size}x${size}.png`), pngs.get(size))
    writeFileSync(join(out, 'icon.png'), pngs.get(1024))
    writeFileSync(join(out, 'icon.ico'), encodeIco(ICO_SIZES.map((size) => pngs.get(size))))
    writeFileSync(join(out, 'icon.icns'), encodeIcns(pngs))
    return out
  } finally {
    await browser.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`icons written to ${await makeIcons()}`)
}
