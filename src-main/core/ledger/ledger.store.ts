/**
 * The ledger room's documents: targets (settings; the key is in the vault), routes, the forwarder's switch, and one
 * forward item per device event and route. An item's id is its idempotency key (`ledger-item:<route>:<event key>`):
 * a second write of the same event is a conflict, never a second item.
 */
import type { ForwardItem, LedgerFailure, LedgerTargetSettings, Route } from '../../../src-shared/models/ledger'
import { auditDoc, type AuditInput } from '../store/audit.store'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import type { Submission } from './ledger-adapter'

export interface TargetDoc extends BaseDoc {
  kind: 'ledgerTarget'
  name: string
  settings: LedgerTargetSettings
  secretFields: string[]
  createdAt: string
  updatedAt: string
}

export interface RouteDoc extends BaseDoc, Omit<Route, 'id'> {
  kind: 'ledgerRoute'
}

export interface ForwarderDoc extends BaseDoc {
  kind: 'ledgerForwarder'
  running: boolean
  platformProfile: string | null
}

export interface ItemDoc extends BaseDoc {
  kind: 'ledgerItem'
  routeId: string
  eventKey: string
  source: ForwardItem['source']
  /** The event as received (JSON text), so a retry after a route fix resolves it again. */
  payload: string
  receivedAt: string
  state: ForwardItem['state']
  attempts: number
  nextAttemptAt: string | null
  /** The signed transaction once prepared: sent again, never signed again, until it commits or can never commit. */
  submission: Submission | null
  block: string | null
  lastError: LedgerFailure | null
  manual: boolean
  updatedAt: string
}

export const TARGET_PREFIX = 'ledger-target:'
export const ROUTE_PREFIX = 'ledger-route:'
export const ITEM_PREFIX = 'ledger-item:'
export const FORWARDER_ID = 'ledger-forwarder'

export const targetDocId = (id: string): string => `${TARGET_PREFIX}${id}`
export const routeDocId = (id: string): string => `${ROUTE_PREFIX}${id}`
export const itemDocId = (routeId: string, eventKey: string): string => `${ITEM_PREFIX}${routeId}:${eventKey}`
export const idOf = (doc: BaseDoc, prefix: string): string => doc._id.slice(prefix.length)

async function listPrefix<T extends BaseDoc>(db: Db, prefix: string): Promise<T[]> {
  const page = await db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` })
  return page.rows.map((r) => r.doc as unknown as T)
}

export const listTargets = (db: Db): Promise<TargetDoc[]> => listPrefix<TargetDoc>(db, TARGET_PREFIX)
export const listRoutes = (db: Db): Promise<RouteDoc[]> => listPrefix<RouteDoc>(db, ROUTE_PREFIX)
export const getTarget = (db: Db, id: string) => getOrNull<TargetDoc>(db, targetDocId(id))
export const getRoute = (db: Db, id: string) => getOrNull<RouteDoc>(db, routeDocId(id))
export const getForwarder = (db: Db) => getOrNull<ForwarderDoc>(db, FORWARDER_ID)

/** Every item, in pages, so that a long history is never held at once; `visit` sees each one. */
export async function scanItems(db: Db, visit: (doc: ItemDoc) => void): Promise<void> {
  let startkey = ITEM_PREFIX
  let skip = 0
  for (;;) {
    const page = await db.allDocs({ include_docs: true, startkey, endkey: `${ITEM_PREFIX}\ufff0`, limit: 1000, skip })
    for (const row of page.rows) visit(row.doc as unknown as ItemDoc)
    if (page.rows.length < 1000) return
    startkey = page.rows[page.rows.length - 1]!.id
    skip = 1
  }
}

export function newItemDoc(input: Pick<ItemDoc, 'routeId' | 'eventKey' | 'source' | 'payload' | 'receivedAt' | 'manual'>): ItemDoc {
  return {
    _id: itemDocId(input.routeId, input.eventKey),
    kind: 'ledgerItem',
    schemaVersion: CURRENT_SCHEMA.ledgerItem,
    ...input,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: null,
    submission: null,
    block: null,
    lastError: null,
    updatedAt: input.receivedAt,
  }
}

export function toItem(doc: ItemDoc): ForwardItem {
  return {
    id: doc._id,
    routeId: doc.routeId,
    eventKey: doc.eventKey,
    source: doc.source,
    state: doc.state,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt,
    txId: doc.submission?.txId ?? null,
    block: doc.block,
    lastError: doc.lastError,
    receivedAt: doc.receivedAt,
    updatedAt: doc.updatedAt,
    manual: doc.manual,
  }
}

/** A change (a document, or a deletion `{_id, _rev, _deleted}`) and its audit entry, in one bulkDocs call. */
export async function writeAudited(db: Db, change: object, audit: AuditInput): Promise<void> {
  assertBulkOk(await db.bulkDocs([change, auditDoc(audit)] as BaseDoc[]))
}
