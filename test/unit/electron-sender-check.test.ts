import { describe, expect, it } from 'vitest'
import { isTrustedSender, type SenderInfo } from '../../src-main/electron/sender-check'

const APP = 'app://fieldline/index.html'
const TRUSTED = new Set([7])

const good: SenderInfo = { webContentsId: 7, frame: { url: APP, isTopFrame: true } }

describe('isTrustedSender', () => {
  it('accepts our own top frame showing the renderer', () => {
    expect(isTrustedSender(good, TRUSTED, APP)).toBe(true)
    expect(isTrustedSender({ ...good, frame: { url: `${APP}#/devices`, isTopFrame: true } }, TRUSTED, APP)).toBe(true)
  })

  it('refuses a sub-frame of our own window', () => {
    expect(isTrustedSender({ ...good, frame: { url: APP, isTopFrame: false } }, TRUSTED, APP)).toBe(false)
  })

  it('refuses a webContents that was not registered at window creation', () => {
    expect(isTrustedSender({ ...good, webContentsId: 8 }, TRUSTED, APP)).toBe(false)
    expect(isTrustedSender(good, new Set(), APP)).toBe(false)
  })

  it('refuses our window once it shows a foreign page', () => {
    for (const url of [
      'https://evil.com/',
      'file:///tmp/index.html',
      'file:///opt/Fieldline/resources/app.asar/out/renderer/index.html',
      'app://fieldline/other.html',
      'app://evil/index.html',
      'about:blank',
      '',
    ]) {
      expect(isTrustedSender({ ...good, frame: { url, isTopFrame: true } }, TRUSTED, APP), url).toBe(false)
    }
  })

  it('refuses a call whose frame is gone', () => {
    expect(isTrustedSender({ ...good, frame: null }, TRUSTED, APP)).toBe(false)
  })

  it('compares origins when the app runs from the dev server', () => {
    const dev = 'http://localhost:5173/'
    expect(isTrustedSender({ ...good, frame: { url: 'http://localhost:5173/', isTopFrame: true } }, TRUSTED, dev)).toBe(true)
    expect(isTrustedSender({ ...good, frame: { url: 'http://localhost:5174/', isTopFrame: true } }, TRUSTED, dev)).toBe(false)
  })
})
