import type { ControlCenterExtension } from '../../../src-shared/models/profiles'
import { docPages, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

/**
 * Every SMS this workspace sent through Control Center (the SIM panel, the outbox, bulk jobs), with its smsMsgId and
 * the delivery status Control Center last gave for it (docs/wire/control-center.md §1.10). A SIM sync reads the
 * outstanding ones back; the `smsFailed` alert rule fires once for each that ended Failed. Written in the same bulkDocs
 * as the audit entry (or the job window) that recorded the sending.
 */
export interface SentSmsDoc extends BaseDoc {
  kind: 'sentSms'
  carrier: ControlCenterExtension
  /** The carrier account (`jasper:<profile id>`) whose governor and credentials read its status back. */
  account: string
  iccid: string
  smsMsgId: string
  sentAt: string
  /** The bulk job that sent it; null for the SIM panel and the outbox. */
  jobId: string | null
  /** Control Center's status as last read (Pending, Delivered, Failed…); null before the first read. */
  status: string | null
  checkedAt: string | null
  /** Set when Control Center does not know the id (404): it is not asked about again. */
  lost: boolean
}

const PREFIX = 'sentsms:'
/** §1.10: MT messages that can still change (Unknown is not final either: the network may still report). */
const OPEN_STATES: ReadonlySet<string> = new Set(['Pending', 'CancelPending', 'Unknown'])

export const sentSmsDocId = (carrier: ControlCenterExtension, smsMsgId: string): string => `${PREFIX}${carrier}:${smsMsgId}`

export function isSmsOpen(status: string | null): boolean {
  return status === null || OPEN_STATES.has(status)
}

export function sentSmsDoc(input: { carrier: ControlCenterExtension; account: string; iccid: string; smsMsgId: string; sentAt: string; jobId?: string | null }): SentSmsDoc {
  return {
    _id: sentSmsDocId(input.carrier, input.smsMsgId),
    kind: 'sentSms',
    schemaVersion: CURRENT_SCHEMA.sentSms,
    carrier: input.carrier,
    account: input.account,
    iccid: input.iccid,
    smsMsgId: input.smsMsgId,
    sentAt: input.sentAt,
    jobId: input.jobId ?? null,
    status: null,
    checkedAt: null,
    lost: false,
  }
}

/** Every recorded SMS, a page at a time. */
export async function* sentSmsPages(db: Db, pageSize = 2000): AsyncGenerator<SentSmsDoc[], void, undefined> {
  for await (const page of docPages(db, PREFIX, pageSize)) {
    const docs = page.filter((d) => (d as Partial<SentSmsDoc>).kind === 'sentSms') as SentSmsDoc[]
    if (docs.length > 0) yield docs
  }
}
