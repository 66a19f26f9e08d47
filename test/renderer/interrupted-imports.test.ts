/**
 * An import the last run of the core did not end is said once, in the operator's language, in a notice that stays,
 * with the way to finish it; loading the page again does not say it again.
 */
import { get } from 'svelte/store'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ok, settle } from './fake-api'
import { api as fake } from './mocked-api'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const stored = new Map<string, string>()
vi.stubGlobal('localStorage', { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) })

const { _, locale } = await import('svelte-i18n')
await import('../../src-renderer/src/i18n')
const { announceInterruptedImports } = await import('../../src-renderer/src/lib/state/interrupted-imports')
const { notices } = await import('../../src-renderer/src/lib/state/notices.svelte')

/** Imported again after an earlier interruption: most devices were there already, one row refused. */
const item = { fileName: 'fleet.csv', startedAt: '2026-12-06T01:30:00.000Z', rows: 95_000, added: 4_999, failed: 90_001, existing: 90_000 }

describe('interrupted imports', () => {
  beforeEach(() => {
    notices.items = []
    stored.clear()
  })

  it('says each once, in the operator’s language, in a notice that stays', async () => {
    locale.set('fr')
    const said = announceInterruptedImports()
    fake.answer('import:interrupted', ok({ items: [item] }))
    await said
    expect(notices.items).toHaveLength(1)
    expect(notices.items[0]!.kind).toBe('error')
    expect(notices.items[0]!.text(get(_))).toContain('L’import du fichier fleet.csv, commencé le')
    // Worded as the finished import's counts: the devices already there are not refused rows.
    expect(notices.items[0]!.text(get(_))).toContain('\u00a0: 95\u202f000 lignes, 4\u202f999 ajoutées, 90\u202f000 appareils déjà présents, 1 refusée.')

    // The page loaded again (serve mode): not said twice.
    const again = announceInterruptedImports()
    fake.answer('import:interrupted', ok({ items: [item] }))
    await again
    await settle()
    expect(notices.items).toHaveLength(1)
    locale.set('en')
  })

  it('says the counts an earlier build recorded without claiming a split it did not record', async () => {
    const said = announceInterruptedImports()
    fake.answer('import:interrupted', ok({ items: [{ fileName: 'old.csv', startedAt: '2026-12-01T08:00:00.000Z', rows: 12, added: 5, failed: 7 }] }))
    await said
    expect(notices.items.map((n) => n.text(get(_)))).toEqual([expect.stringContaining('was cut short when Fieldline stopped: 12 rows, 5 added, 7 refused or already there. The rest')])
    locale.set('fr')
    expect(notices.items[0]!.text(get(_))).toContain('12 lignes, 5 ajoutées, 7 non ajoutées (refusées ou appareils déjà présents).')
    locale.set('en')
  })

  it('says nothing when every import ended, or when the core cannot be asked', async () => {
    const none = announceInterruptedImports()
    fake.answer('import:interrupted', ok({ items: [] }))
    await none
    const refused = announceInterruptedImports()
    fake.answer('import:interrupted', { ok: false, error: { code: 'NETWORK', message: 'gone' } })
    await refused
    expect(notices.items).toEqual([])
  })
})
