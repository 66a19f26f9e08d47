import { randomBytes } from 'node:crypto'
import type { ErrorInfo, OutboxItem } from '../../../src-shared/contract'
import { auditDoc, type AuditDoc, type AuditInput } from './audit.store'
import type { BaseDoc, Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

/**
 * Carrier changes the operator chose to queue while offline. Ids sort by creation so replay keeps the
 * operator's order (a status change queued after a rate-plan change stays after it).
 */
export interface OutboxDoc extends BaseDoc, Omit<OutboxItem, 'id'> {
  kind: 'outbox'
  /** Which device asked, and through which profile, so replay uses the same account. */
  device: { typeId: string; deviceId: string }
  profileId: string
  /** The audit entry that recorded the queued change; delivering the item updates its outcome. */
  auditId?: string
}

let sequence = 0

export function newOutboxDoc(input: Omit<OutboxDoc, '_id' | 'kind' | 'schemaVersion' | 'state' | 'attempts' | 'lastError' | 'createdAt'>, now: string): OutboxDoc {
  sequence = (sequence + 1) % 1e9
  return {
    ...input,
    _id: `outbox:${now}:${String(sequence).padStart(9, '0')}:${randomBytes(4).toString('hex')}`,
    kind: 'outbox',
    schemaVersion: CURRENT_SCHEMA.outbox,
    state: 'pending',
    createdAt: now,
    attempts: 0,
    lastError: null,
  }
}

/**
 * A queued change: the outbox item and the audit entry that records it, each naming the other, for one bulkDocs call.
 * The entry says "queued" until delivering the item settles it (sim.service.ts).
 */
export function queuedChange(item: OutboxDoc, entry: Omit<AuditInput, 'outcome' | 'outboxId'>): [OutboxDoc, AuditDoc] {
  const audit = auditDoc({ ...entry, outcome: 'queued', outboxId: item._id })
  return [{ ...item, auditId: audit._id }, audit]
}

export async function listOutbox(db: Db): Promise<(OutboxDoc & { _rev: string })[]> {
  const page = await db.allDocs({ include_docs: true, startkey: 'outbox:', endkey: 'outbox:\ufff0' })
  return page.rows.map((r) => r.doc as unknown as OutboxDoc & { _rev: string })
}

export function toOutboxItem(doc: OutboxDoc): OutboxItem {
  return {
    id: doc._id,
    action: doc.action,
    target: doc.target,
    carrier: doc.carrier,
    iccid: doc.iccid,
    params: doc.params,
    state: doc.state,
    createdAt: doc.createdAt,
    attempts: doc.attempts,
    lastError: doc.lastError as ErrorInfo | null,
  }
}

/** How many queued changes still wait to be sent (the navigation badge). */
export async function pendingOutboxCount(db: Db): Promise<number> {
  return (await listOutbox(db)).filter((d) => d.state === 'pending').length
}
