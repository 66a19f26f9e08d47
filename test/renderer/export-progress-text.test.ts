/**
 * An export's progress as a screen reader hears it: the first announcement said "0 of 0 rows written" before the core
 * had counted the rows. Until the count is in it says the export is starting, in the window's language.
 */
import { get } from 'svelte/store'
import { format, locale } from 'svelte-i18n'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
// The catalogues are registered when the i18n module loads.
import '../../src-renderer/src/i18n'
import type { Translate } from '../../src-renderer/src/i18n'
import { exportProgressText } from '../../src-renderer/src/lib/export-progress'
import { DeviceExport } from '../../src-renderer/src/lib/state/list-export.svelte'
import { FakeApi, ok, settle } from './fake-api'

const fake = new FakeApi()

const t: Translate = (key, options) => get(format)(key, options)

beforeEach(() => {
  fake.reset()
  locale.set('en')
})
afterEach(() => locale.set('en'))

describe('export progress text', () => {
  it('says the export is starting while the total is unknown, then the rows of the total', () => {
    expect(exportProgressText(t, 0, null)).toBe('Export starting…')
    expect(exportProgressText(t, 0, 0)).toBe('0 of 0 rows written')
    expect(exportProgressText(t, 1, 3)).toBe('1 of 3 rows written')
    locale.set('fr')
    expect(exportProgressText(t, 0, null)).toBe('Démarrage de l’export…')
    expect(exportProgressText(t, 1, 3)).toBe('1 ligne écrite sur 3')
  })

  it('the exporter knows no total until the core answers the start, and forgets it when another export starts', async () => {
    const selection = { query: { text: '', filters: {}, sort: 'typeId' as const, descending: false }, except: [] }
    const exporter = new DeviceExport(fake)
    void exporter.run(selection, ['deviceId'], 'csv')
    expect(exporter.phase).toBe('running')
    expect(exporter.total).toBeNull()
    fake.answer('export:start', ok({ jobId: 'j1', total: 3 }))
    await settle()
    expect(exporter.total).toBe(3)
    void exporter.run(selection, ['deviceId'], 'csv')
    expect(exporter.total).toBeNull()
  })
})
