import { afterEach, describe, expect, it } from 'vitest'
import { EventBus } from '../../src-main/core/common/events'
import { createImportService } from '../../src-main/core/devices/import.service'
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

    expect(await createImportService(deps).recover()).toEqual([{ fileName: 'left.csv', startedAt: expect.any(String), rows: 0, added: 0, failed: 0 }])
    expect(await createImportService(deps).recover()).toEqual([])
    const trail = await listAudit(ws.db, { query: 'devices.import.interrupted', offset: 0, limit: 10 })
    expect(trail.items).toMatchObject([{ target: 'left.csv', actor: 'op', outcome: 'failed', after: { added: 0 } }])
  })
})
