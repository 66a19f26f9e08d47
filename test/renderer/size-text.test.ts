/**
 * Sizes in the window's language (cold trial: a package of 36.1 MB read « Le paquet fait 36.1 MB » in a French
 * window). The core and the CLI write a size in English and send its bytes beside it; the window writes it again.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, describe, expect, it } from 'vitest'
import { formatMebibytes } from '../../src-shared/models/byte-format'
import { MAX_CONFIG_BYTES } from '../../src-shared/models/limits'
import { translateRef, type Translate } from '../../src-renderer/src/i18n'
import { MAX_PACKAGE_BYTES, tooLargeError } from '../../src-renderer/src/lib/dm-packages'

const t: Translate = (key, options) => get(format)(key, options)
const MIB = 1024 * 1024
const text = (error: ReturnType<typeof tooLargeError>) => translateRef(t, error.details?.ref, error.message)

afterEach(() => locale.set('en'))

describe('sizes against a limit', () => {
  it('are written in binary megabytes with the locale’s decimal mark and unit, in bytes when one decimal would read as the limit', () => {
    expect(formatMebibytes(5 * MIB, 'en')).toBe('5 MB')
    expect(formatMebibytes(36.1 * MIB, 'en')).toBe('36.1 MB')
    expect(formatMebibytes(6 * MIB + 1, 'en')).toBe('6.0 MB')
    expect(formatMebibytes(36.1 * MIB, 'fr')).toBe('36,1\u202fMo')
    expect(formatMebibytes(MAX_PACKAGE_BYTES + 1, 'en', MAX_PACKAGE_BYTES)).toBe('5,242,881 bytes')
    expect(formatMebibytes(MAX_PACKAGE_BYTES + 1, 'fr', MAX_PACKAGE_BYTES)).toBe('5\u202f242\u202f881\u00a0octets')
  })

  it('say a package too large in the window’s language', () => {
    const error = tooLargeError(Math.round(36.1 * MIB))
    expect(error.message).toBe('The package is 36.1 MB; packages larger than 5 MB are refused without being read')
    expect(text(error)).toBe('The package is 36.1 MB; packages larger than 5 MB are refused without being read.')
    locale.set('fr')
    expect(text(error)).toBe('Le paquet fait 36,1\u202fMo\u202f; les paquets de plus de 5\u202fMo sont refusés sans être lus.')
    expect(text(tooLargeError(MAX_PACKAGE_BYTES + 1))).toBe('Le paquet fait 5\u202f242\u202f881\u00a0octets\u202f; les paquets de plus de 5\u202fMo sont refusés sans être lus.')
  })

  it('say a limit the core names in French, and keep the core’s words when it sent no bytes', () => {
    locale.set('fr')
    const withBytes = { key: 'errors.configTooLarge', params: { max: '5 MB', maxBytes: MAX_CONFIG_BYTES } }
    expect(translateRef(t, withBytes, 'fallback')).toBe('La configuration est trop volumineuse (la limite est de 5\u202fMo).')
    expect(translateRef(t, { key: 'errors.configTooLarge', params: { max: '5 MB' } }, 'fallback')).toBe('La configuration est trop volumineuse (la limite est de 5 MB).')
  })
})
