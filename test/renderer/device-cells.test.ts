import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import { cellOf } from '../../src-renderer/src/features/devices/device-cells'
import type { Translate } from '../../src-renderer/src/i18n'
import '../../src-renderer/src/i18n'
import { deviceRow } from './device-rows'

const t: Translate = (key, options) => get(format)(key, options)

afterEach(() => {
  locale.set('en')
})

describe('yes-or-no cells of the device list', () => {
  it('say configuration errors and DM package support in words, in the interface’s language, never true or false', () => {
    const flagged = deviceRow({ configErrors: true, dmSupport: true })
    const plain = deviceRow({ configErrors: false, dmSupport: false })
    expect([cellOf(t, 'en', flagged, 'configErrors'), cellOf(t, 'en', plain, 'configErrors')]).toEqual(['With errors', 'Without errors'])
    expect([cellOf(t, 'en', flagged, 'dmSupport'), cellOf(t, 'en', plain, 'dmSupport')]).toEqual(['Supported', 'Not supported'])
    locale.set('fr')
    expect([cellOf(t, 'fr', flagged, 'configErrors'), cellOf(t, 'fr', plain, 'configErrors')]).toEqual(['Avec erreurs', 'Sans erreur'])
    expect([cellOf(t, 'fr', flagged, 'dmSupport'), cellOf(t, 'fr', plain, 'dmSupport')]).toEqual(['Pris en charge', 'Non pris en charge'])
  })
})
