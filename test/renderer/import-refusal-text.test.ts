/** The JSON Lines refusals (core/devices/import-parsers.ts) as the import report shows them, whole, in both languages. */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
// Registers the catalogues.
import '../../src-renderer/src/i18n'

const refusals = [{ key: 'import.badJson' }, { key: 'import.jsonCutShort' }, { key: 'import.badJsonAt', params: { at: 6 } }, { key: 'import.notJsonObject' }]

describe('JSON Lines refusals in the import report', () => {
  it.each(['en', 'fr'])('are whole sentences, with the character where the JSON breaks (%s)', async (language) => {
    await locale.set(language)
    const t = get(format)
    const shown = refusals.map((r) => t(r.key, r.params ? { values: r.params } : undefined))
    for (const text of shown) expect(text).not.toMatch(/^import\.|\{/)
    expect(shown[2]).toContain('6')
    if (language === 'fr') {
      expect(shown).toEqual([
        'Cette ligne n’est pas du JSON valide.',
        'Cette ligne se termine avant la fin de son objet JSON (il manque un guillemet ou une accolade fermante).',
        'Cette ligne n’est pas du JSON valide (à partir du caractère 6).',
        'Cette ligne est du JSON, mais pas un objet\u00a0: écrivez chaque appareil comme un objet JSON.',
      ])
    }
  })
})
