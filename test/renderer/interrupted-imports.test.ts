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

const item = { fileName: 'fleet.csv', startedAt: '2026-12-06T01:30:00.000Z', rows: 95_000, added: 95_000, failed: 0 }

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
    expect(notices.items[0]!.text(get(_))).toContain('95\u202f000 appareils ont été ajoutés')

    // The page loaded again (serve mode): not said twice.
    const again = announceInterruptedImports()
    fake.answer('import:interrupted', ok({ items: [item] }))
    await again
    await settle()
    expect(notices.items).toHaveLength(1)
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
