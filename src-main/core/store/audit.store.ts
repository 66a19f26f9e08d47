import { randomBytes } from 'node:crypto'
import type { AuditEntry } from '../../../src-shared/contract'
import { redactUrlsDeep, redactUrlsIn } from '../common/redact-url'
import type { BaseDoc, Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

export interface AuditDoc extends BaseDoc, Omit<AuditEntry, 'id'> {
  kind: 'audit'
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: string }

const PREFIX = 'audit:'

let sequence = 0

/**
 * Builds an audit document. Its id starts with the ISO time so that the trail sorts by time; a per-process
 * sequence keeps entries of the same millisecond in the order they were made, and random bytes keep
 * entries written at the same moment on two replicas from colliding. A URL anywhere in the entry is kept without
 * its credentials: the trail is replicated to the whole team.
 */
export function auditDoc(input: AuditInput): AuditDoc {
  const at = input.at ?? new Date().toISOString()
  sequence = (sequence + 1) % 1e9
  return {
    ...input,
    target: redactUrlsIn(input.target),
    ...(input.detail !== undefined ? { detail: redactUrlsIn(input.detail) } : {}),
    ...(input.before !== undefined ? { before: redactUrlsDeep(input.before) } : {}),
    ...(input.after !== undefined ? { after: redactUrlsDeep(input.after) } : {}),
    _id: `${PREFIX}${at}:${String(sequence).padStart(9, '0')}:${randomBytes(4).toString('hex')}`,
    kind: 'audit',
    schemaVersion: CURRENT_SCHEMA.audit,
    at,
  }
}

export async function appendAudit(db: Db, input: AuditInput): Promise<AuditEntry> {
  const doc = auditDoc(input)
  await db.put(doc)
  return toEntry(doc)
}

export function toEntry(doc: AuditDoc): AuditEntry {
  const { _id, _rev: _r, kind: _k, schemaVersion: _s, ...rest } = doc
  return { id: _id, ...rest }
}

function matches(entry: AuditEntry, needle: string): boolean {
  if (!needle) return true
  return [entry.actor, entry.action, entry.target, entry.outcome, entry.detail ?? '', entry.at].some((f) => f.toLowerCase().includes(needle))
}

/**
 * Newest first, filtered by a case-insensitive substring. Scans in pages so that a long trail is never held
 * in memory at once; the total is counted during the same scan.
 */
export async function listAudit(db: Db, opts: { query: string; offset: number; limit: number }): Promise<{ total: number; items: AuditEntry[] }> {
  const needle = opts.query.trim().toLowerCase()
  const items: AuditEntry[] = []
  let total = 0
  let startkey = `${PREFIX}\ufff0`
  let skipFirst = false
  const pageSize = 1000
  for (;;) {
    const page = await db.allDocs({ include_docs: true, descending: true, startkey, endkey: PREFIX, limit: pageSize + (skipFirst ? 1 : 0) })
    const rows = skipFirst ? page.rows.slice(1) : page.rows
    for (const row of rows) {
      const entry = toEntry(row.doc as unknown as AuditDoc)
      if (!matches(entry, needle)) continue
      if (total >= opts.offset && items.length < opts.limit) items.push(entry)
      total++
    }
    if (rows.length < pageSize) break
    startkey = rows[rows.length - 1]!.id
    skipFirst = true
  }
  return { total, items }
}
