import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { afterEach, describe, expect, it } from 'vitest'
import { CURRENT_SCHEMA, MIGRATIONS, upgradeDoc, type Migration } from '../../src-main/core/store/migrations'
import { listProfiles, newProfileDoc, getProfile } from '../../src-main/core/store/profiles.store'
import { type BaseDoc } from '../../src-main/core/store/documents'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

/** A device written by an imagined schema 1 that kept the description under `label`. */
const renameLabel: Migration = {
  kind: 'device',
  from: 1,
  to: 2,
  up: (doc) => {
    const { label, ...rest } = doc as BaseDoc & { label?: string }
    return { ...rest, description: label ?? '' } as BaseDoc
  },
}

describe('workspace migrations', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('declares a schema version for every kind and no migration beyond it', () => {
    for (const m of MIGRATIONS) expect(m.to).toBeLessThanOrEqual(CURRENT_SCHEMA[m.kind] ?? 0)
  })

  it('backs up the database, migrates matching documents once, and records what ran', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const seed = new PouchDB<BaseDoc>(join(t.dir, 'workspace'))
    await seed.bulkDocs([
      { _id: 'device:meter:a', kind: 'device', schemaVersion: 1, label: 'North' } as BaseDoc,
      { _id: 'device:meter:b', kind: 'device', schemaVersion: 2, description: 'already new' } as BaseDoc,
      { _id: 'audit:2026:x', kind: 'audit', schemaVersion: 1 },
    ])
    await seed.close()

    const ws = await openWorkspace(t.dir, { migrations: [renameLabel] })
    expect(await ws.db.get('device:meter:a')).toMatchObject({ schemaVersion: 2, description: 'North' })
    expect(await ws.db.get('device:meter:a')).not.toHaveProperty('label')
    expect(await ws.db.get('device:meter:b')).toMatchObject({ schemaVersion: 2, description: 'already new' })
    expect(await ws.db.get('audit:2026:x')).toMatchObject({ schemaVersion: 1 })
    await ws.close()

    const backups = await readdir(join(t.dir, 'backups'))
    expect(backups).toHaveLength(1)
    const copy = new PouchDB<BaseDoc>(join(t.dir, 'backups', backups[0]!))
    expect(await copy.get('device:meter:a')).toMatchObject({ schemaVersion: 1, label: 'North' })
    await copy.close()

    // A second open finds nothing to do: no new backup, no new revision.
    const again = await openWorkspace(t.dir, { migrations: [renameLabel] })
    const rev = (await again.db.get('device:meter:a'))._rev
    expect(rev.startsWith('2-')).toBe(true)
    await again.close()
    expect(await readdir(join(t.dir, 'backups'))).toHaveLength(1)
  })

  it('upgrades a replicated document on read', () => {
    const doc = { _id: 'device:t:x', kind: 'device', schemaVersion: 1, label: 'L' } as BaseDoc
    expect(upgradeDoc(doc, [renameLabel])).toMatchObject({ schemaVersion: 2, description: 'L' })
    expect(upgradeDoc({ ...doc, kind: 'audit' }, [renameLabel])).toMatchObject({ schemaVersion: 1 })
  })

  it('keeps extension profiles with secret references only', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const ws = await openWorkspace(t.dir)
    const now = new Date().toISOString()
    await ws.db.put(newProfileDoc({ extension: 'jasper', id: 'ops', name: 'Ops', settings: { host: 'restapi1.jasper.com', username: 'ops' }, secretFields: ['apiKey', 'apiKey'] }, now))
    await ws.db.put(newProfileDoc({ extension: 'orange', id: 'fr', name: 'FR', settings: {}, secretFields: [] }, now))
    expect((await listProfiles(ws.db, 'jasper')).map((p) => p._id)).toEqual(['profile:jasper:ops'])
    expect(await listProfiles(ws.db)).toHaveLength(2)
    expect(await getProfile(ws.db, 'jasper', 'ops')).toMatchObject({ secretFields: ['apiKey'], schemaVersion: 1 })
    await ws.close()
  })
})
