import type { ControlCenterClient } from '../carriers/control-center/control-center.client'
import { isAppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { assertBulkOk, type Db } from '../store/documents'
import { isSmsOpen, sentSmsPages, type SentSmsDoc } from '../store/sent-sms.store'

export interface SmsCheckResult {
  /** Open messages whose status was read. */
  checked: number
  /** Calls made (each open message costs one GET, docs/wire/control-center.md §1.10). */
  calls: number
  /** Messages that could not be read this time (the service failed, or could not be reached): asked again next time. */
  unread: number
}

/** The service cannot be reached: the remaining messages wait for the next check instead of each failing in turn. */
const UNREACHABLE = new Set(['NETWORK', 'TIMEOUT', 'TLS'])
/** Calls queued at once: the account's governor paces them; a page of results is written together. */
const BATCH = 50

/**
 * Reads back, under the account's governor, the delivery status of every SMS the account sent that Control Center has
 * not finished with (docs/wire/control-center.md §1.10: `GET /smsMessages/{smsMsgId}`, one call per message; Search SMS
 * lists ids only, so it would not save a call). An id Control Center does not know (404) is marked lost and not asked
 * about again; any other failure leaves the message open for the next check. One message's failure never ends the check.
 */
export async function checkSmsOutcomes(db: Db, account: string, clientOf: () => Promise<ControlCenterClient>, options: { now: () => Date; logger?: Logger }): Promise<SmsCheckResult> {
  const open: SentSmsDoc[] = []
  for await (const page of sentSmsPages(db)) for (const doc of page) if (doc.account === account && !doc.lost && isSmsOpen(doc.status)) open.push(doc)
  const result: SmsCheckResult = { checked: 0, calls: 0, unread: 0 }
  if (open.length === 0) return result
  // Only an account with open messages needs its client (and its credentials from the vault).
  const client = await clientOf()
  let unreachable = false
  for (let i = 0; i < open.length; i += BATCH) {
    const batch = open.slice(i, i + BATCH)
    const read = await Promise.all(
      batch.map(async (doc): Promise<SentSmsDoc | null> => {
        if (unreachable) return null
        result.calls++
        try {
          const message = await client.smsDetails(doc.smsMsgId)
          result.checked++
          return { ...doc, status: message.status, checkedAt: options.now().toISOString() }
        } catch (e) {
          if (isAppError(e) && e.code === 'NOT_FOUND') return { ...doc, lost: true, checkedAt: options.now().toISOString() }
          if (isAppError(e) && UNREACHABLE.has(e.code)) unreachable = true
          options.logger?.warn({ err: e, account, smsMsgId: doc.smsMsgId }, 'the status of an SMS could not be read')
          return null
        }
      }),
    )
    const changed = read.filter((d): d is SentSmsDoc => d !== null)
    result.unread += batch.length - changed.length
    // A conflict is another check of the same messages that wrote first: its reading is as good as this one.
    if (changed.length > 0) {
      assertBulkOk((await db.bulkDocs(changed)).filter((r) => !('error' in r && r.status === 409)))
    }
    if (unreachable) {
      result.unread += open.length - i - batch.length
      break
    }
  }
  return result
}
