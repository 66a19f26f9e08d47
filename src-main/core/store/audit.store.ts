import { randomBytes } from 'node:crypto'
import type { AuditEntry, AuditFilter, AuditOutcome, ErrorInfo } from '../../../src-shared/contract'
import { redactUrlsDeep, redactUrlsIn } from '../common/redact-url'
import type { BaseDoc, Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

export interface AuditDoc extends BaseDoc, Omit<AuditEntry, 'id'> {
  kind: 'audit'
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: string }

/**
 * A failure as the trail keeps it: the code and the translatable reference the Activity page shows, the English text
 * for the CLI, and the carrier's own code. Validation diagnostics and issue lists stay out (the trail is replicated).
 */
function trailError(error: ErrorInfo): ErrorInfo {
  const { ref, carrierCode, carrierMessage } = error.details ?? {}
  const details = { ...(ref ? { ref } : {}), ...(carrierCode ? { carrierCode } : {}), ...(carrierMessage ? { carrierMessage } : {}) }
  return { code: error.code, message: redactUrlsIn(error.message), ...(Object.keys(details).length ? { details: redactUrlsDeep(details) as ErrorInfo['details'] } : {}) }
}

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
    ...(input.error !== undefined ? { error: trailError(input.error) } : {}),
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

/**
 * The test an entry must pass, built once per query: the from/to bounds are parsed here, not again for every entry of
 * a long trail.
 */
function matcher(needle: string, filter: AuditFilter): (entry: AuditEntry) => boolean {
  // Compared as instants: a bound may carry an offset, or no milliseconds, and still name the same moment.
  const from = filter.from ? Date.parse(filter.from) : undefined
  const to = filter.to ? Date.parse(filter.to) : undefined
  return (entry) => {
    if (filter.action && entry.action !== filter.action) return false
    if (filter.actor && entry.actor !== filter.actor) return false
    if (filter.device && !namesDevice(entry.target, filter.device)) return false
    if (from !== undefined || to !== undefined) {
      const at = Date.parse(entry.at)
      if (from !== undefined && at < from) return false
      if (to !== undefined && at > to) return false
    }
    if (!needle) return true
    return [entry.actor, entry.action, entry.target, entry.subject ?? '', entry.via ?? '', entry.outcome, entry.detail ?? '', entry.at].some((f) => f.toLowerCase().includes(needle))
  }
}

/** Targets name a device as `type/id`, alone or inside a carrier target (`jasper:8901… (meter/m-1)`). */
function namesDevice(target: string, device: string): boolean {
  const at = target.indexOf(device)
  if (at < 0) return false
  const before = at === 0 ? '' : target[at - 1]!
  const after = target[at + device.length] ?? ''
  return !/[A-Za-z0-9._/-]/.test(before) && !/[A-Za-z0-9._/-]/.test(after)
}

export interface AuditPage {
  total: number
  items: AuditEntry[]
  /** Every action and actor in the whole trail, sorted, for the filters' choices. */
  facets: { actions: string[]; actors: string[] }
}

/**
 * Newest first, filtered by a case-insensitive substring and the filters. Scans in pages so that a long trail is
 * never held in memory at once; the total and the filters' choices are gathered during the same scan.
 */
export async function listAudit(db: Db, opts: { query: string; offset: number; limit: number; filter?: AuditFilter | undefined }): Promise<AuditPage> {
  const matches = matcher(opts.query.trim().toLowerCase(), opts.filter ?? {})
  const items: AuditEntry[] = []
  const actions = new Set<string>()
  const actors = new Set<string>()
  let total = 0
  let startkey = `${PREFIX}\ufff0`
  let skipFirst = false
  const pageSize = 1000
  for (;;) {
    const page = await db.allDocs({ include_docs: true, descending: true, startkey, endkey: PREFIX, limit: pageSize + (skipFirst ? 1 : 0) })
    const rows = skipFirst ? page.rows.slice(1) : page.rows
    for (const row of rows) {
      const entry = toEntry(row.doc as unknown as AuditDoc)
      actions.add(entry.action)
      actors.add(entry.actor)
      if (!matches(entry)) continue
      if (total >= opts.offset && items.length < opts.limit) items.push(entry)
      total++
    }
    if (rows.length < pageSize) break
    startkey = rows[rows.length - 1]!.id
    skipFirst = true
  }
  return { total, items, facets: { actions: [...actions].sort(), actors: [...actors].sort() } }
}

/** What delivering a queued change did to the entry that recorded it. */
export function deliveredEntry(doc: AuditDoc & { _rev: string }, outcome: AuditOutcome, error?: ErrorInfo | null): AuditDoc {
  const { error: _old, ...rest } = doc
  return { ...rest, outcome, ...(error ? { error: trailError(error) } : {}) }
}
