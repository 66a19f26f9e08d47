/**
 * Audit schema 2 keeps a failure as a translatable ErrorInfo. An entry written at schema 1 ("CODE: English text" in
 * `detail`) reads as schema 2 wherever it is read — a teammate on an older release may replicate one in at any time —
 * and any other detail is left as it was written.
 */
import { describe, expect, it } from 'vitest'
import { auditFailureAsError } from '../../src-main/core/store/audit.migrations'
import { listAudit } from '../../src-main/core/store/audit.store'
import { CURRENT_SCHEMA } from '../../src-main/core/store/schema'
import { openWorkspace } from '../../src-main/core/store/workspace'
import { tempDir } from '../helpers/core'

const v1 = (id: string, detail: string | undefined) => ({
  _id: `audit:2026-01-0${id}T00:00:00.000Z:000000001:0000000${id}`,
  kind: 'audit',
  schemaVersion: 1,
  at: `2026-01-0${id}T00:00:00.000Z`,
  actor: 'operator',
  action: 'sim.changeStatus',
  target: 'jasper:8988 (meter/m-1)',
  outcome: 'failed',
  ...(detail === undefined ? {} : { detail }),
})

describe('audit 1 → 2', () => {
  it('moves "CODE: text" into a translatable error and leaves other details alone', () => {
    expect(auditFailureAsError(v1('1', 'NETWORK: Cannot reach Control Center at cc.example: ECONNREFUSED'))).toEqual({
      ...Object.fromEntries(Object.entries(v1('1', undefined))),
      error: { code: 'NETWORK', message: 'Cannot reach Control Center at cc.example: ECONNREFUSED' },
    })
    expect(auditFailureAsError(v1('2', 'CARRIER Invalid rate plan'))).toMatchObject({ error: { code: 'CARRIER', message: 'Invalid rate plan' } })
    for (const detail of ['NOPE: not a code we know', 'Subscription pending: mbed busy', undefined]) {
      const doc = v1('3', detail)
      expect(auditFailureAsError(doc)).toBe(doc)
    }
  })

  it('is how an old entry reads from the workspace', async () => {
    expect(CURRENT_SCHEMA.audit).toBe(2)
    const { dir, cleanup } = await tempDir()
    const ws = await openWorkspace(dir)
    try {
      await ws.db.put(v1('4', 'TIMEOUT: cc.example did not answer in time'))
      const [entry] = (await listAudit(ws.db, { query: '', offset: 0, limit: 10 })).items
      expect(entry).toMatchObject({ error: { code: 'TIMEOUT' } })
      expect(entry).not.toHaveProperty('detail')
    } finally {
      await ws.close()
      await cleanup()
    }
  })
})
