/**
 * A data folder the core found to be a copy of another still in its place is said once, in the operator's language, in
 * a notice that stays; loading the page again in the same session does not say it again.
 */
import { get } from 'svelte/store'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('../../src-renderer/src/lib/api', () => import('./mocked-api'))

const stored = new Map<string, string>()
vi.stubGlobal('localStorage', { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) })

const { _, locale } = await import('svelte-i18n')
await import('../../src-renderer/src/i18n')
const { announceWorkspaceCopy } = await import('../../src-renderer/src/lib/state/workspace-copy')
const { notices } = await import('../../src-renderer/src/lib/state/notices.svelte')

const info = { version: '1.0.0', mode: 'serve' as const, dataDir: '/srv/fieldline-copy', node: '22.0.0', workspaceCopy: { original: '/srv/fieldline', at: '2026-12-07T03:00:00.000Z' } }

describe('a copied data folder', () => {
  beforeEach(() => {
    notices.items = []
    stored.clear()
  })

  it('is said once, in the operator’s language, in a notice that stays', () => {
    locale.set('fr')
    announceWorkspaceCopy(info)
    expect(notices.items).toHaveLength(1)
    expect(notices.items[0]!.kind).toBe('error')
    expect(notices.items[0]!.text(get(_))).toBe(
      'Ce dossier de données est une copie du dossier /srv/fieldline, qui est toujours à sa place. C’est désormais un espace de travail à part entière, avec ses propres copies des secrets\u00a0: un secret modifié ici ne modifie plus celui de l’original, ni l’inverse.',
    )
    // The page loaded again (serve mode): not said twice.
    announceWorkspaceCopy(info)
    expect(notices.items).toHaveLength(1)
    locale.set('en')
    expect(notices.items[0]!.text(get(_))).toContain('This data folder is a copy of /srv/fieldline, which is still in its place.')
  })

  it('says nothing for a data folder that is no copy', () => {
    announceWorkspaceCopy({ ...info, workspaceCopy: null })
    expect(notices.items).toEqual([])
  })
})
