import { afterEach, describe, expect, it } from 'vitest'
import { EventBus } from '../../src-main/core/common/events'
import { createImportService, IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { listAudit } from '../../src-main/core/store/audit.store'
import { openDeviceIndex, type DeviceIndex } from '../../src-main/core/devices/listing/device-index'
import { openWorkspace, type Workspace } from '../../src-main/core/store/workspace'
import { join } from 'node:path'
import { silentLogger, tempDir } from '../helpers/core'

describe('recording an interrupted import', () => {
  let ws: Workspace | undefined
  let index: DeviceIndex | undefined
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await index?.close()
    await ws?.close()
    await cleanup?.()
  })

  it('keeps the import listed when the record cannot be written, and records it at the next start that can', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    ws = await openWorkspace(t.dir)
    index = await openDeviceIndex({ workspace: ws.db, location: join(t.dir, 'index'), durable: false, logger: silentLogger })
    const deps = { db: ws.db, index, bus: new EventBus() }
    await createImportService(deps).start({ fileName: 'left.csv' }, { actor: 'op' })

    // The next start finds a workspace it cannot write to (a full disk): the record waits.
    const bulkDocs = ws.db.bulkDocs.bind(ws.db)
    ws.db.bulkDocs = (() => Promise.reject(Object.assign(new Error('No space left on device'), { code: 'ENOSPC' }))) as never
    await expect(createImportService(deps).recover()).rejects.toThrow(/space/)
    ws.db.bulkDocs = bulkDocs

    expect(await createImportService(deps).recover()).toEqual([{ fileName: 'left.csv', startedAt: expect.any(String), rows: 0, added: 0, failed: 0, existing: 0 }])
    expect(await createImportService(deps).recover()).toEqual([])
    const trail = await listAudit(ws.db, { query: 'devices.import.interrupted', offset: 0, limit: 10 })
    expect(trail.items).toMatchObject([{ target: 'left.csv', actor: 'op', outcome: 'failed', after: { added: 0 } }])
  })

  it('says the devices already there apart from the refused rows, as the finished import does, and claims no split an earlier build did not record', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    ws = await openWorkspace(t.dir)
    index = await openDeviceIndex({ workspace: ws.db, location: join(t.dir, 'index'), durable: false, logger: silentLogger })
    const deps = { db: ws.db, index, bus: new EventBus() }
    const csv = (lines: string[]) => Buffer.from(`${['typeId,deviceId', ...lines].join('\n')}\n`).toString('base64')
    const device = (i: number) => `meter,d-${i}`
    const there = 3000
    const before = createImportService(deps)
    const { jobId: first } = await before.start({ fileName: 'first.csv' }, { actor: 'op' })
    await before.chunk(first, csv(Array.from({ length: there }, (_, i) => device(i))))
    expect(await before.finish(first)).toMatchObject({ added: there, failed: 0 })

    // The file again, one row refused, and the process gone once its first batch was written.
    const cut = createImportService(deps)
    const { jobId } = await cut.start({ fileName: 'again.csv' }, { actor: 'op' })
    await cut.chunk(jobId, csv(['meter,', ...Array.from({ length: IMPORT_BATCH + 1000 }, (_, i) => device(i))]))
    const counts = { rows: IMPORT_BATCH + 1, added: IMPORT_BATCH - there, failed: there + 1, existing: there }
    expect(await createImportService(deps).recover()).toEqual([{ fileName: 'again.csv', startedAt: expect.any(String), ...counts }])
    const trail = await listAudit(ws.db, { query: 'devices.import.interrupted', offset: 0, limit: 10 })
    expect(trail.items).toMatchObject([{ after: counts, detail: expect.stringContaining(`${IMPORT_BATCH - there} added, ${there} already there, 1 refused of ${IMPORT_BATCH + 1} rows`) }])

    // A record an earlier build wrote has no `existing`: its rows not added are not all called refused.
    const doc = await ws.db.get('_local/imports')
    const old = { fileName: 'old.csv', actor: 'op', startedAt: '2026-12-01T08:00:00.000Z', rows: 12, added: 5, failed: 7 }
    await ws.db.put({ ...doc, running: { 'old-job': old } } as typeof doc)
    const [recovered] = await createImportService(deps).recover()
    expect(recovered).toEqual({ fileName: 'old.csv', startedAt: old.startedAt, rows: 12, added: 5, failed: 7 })
    const [entry] = (await listAudit(ws.db, { query: 'old-job', offset: 0, limit: 10 })).items
    expect(entry!.after).not.toHaveProperty('existing')
    expect(entry!.detail).toContain('5 added, 7 refused or already there of 12 rows')
  })
})
