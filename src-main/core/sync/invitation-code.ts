/**
 * The invitation code an invitation email carries (docs/wire/couchdb-sync.md §7): everything a new teammate's Fieldline
 * needs to join the team database, in one line that survives being copied out of an email.
 *
 *   FLJ1.<base64url of {"u": server URL, "d": database, "n": CouchDB user name, "p": one-time password, "a": "basic"}>
 *
 * The prefix names the format and its version, so a future format is told apart from a damaged code. The password is
 * the one-time password of the invitee's CouchDB user: joining replaces it at once, which spends the code. Nothing here
 * puts a code or a part of one into an error message (errors are shown, logged and may reach the audit trail).
 */
import { z } from 'zod'
import { MAX_INVITATION_CODE, syncDatabaseSchema } from '../../../src-shared/models/sync'
import { AppError } from '../common/errors'

export const INVITATION_CODE_PREFIX = 'FLJ1.'

/** What a code carries. Only CouchDB users can be created for an invitee ('basic'); the field keeps room for another kind. */
export interface InvitationCode {
  url: string
  database: string
  user: string
  password: string
  auth: 'basic'
}

const payloadSchema = z
  .object({
    u: z.string().min(1).max(300),
    d: syncDatabaseSchema,
    n: z.string().min(1).max(200),
    p: z.string().min(16).max(200),
    a: z.literal('basic'),
  })
  .strict()

function malformed(): AppError {
  return AppError.withRef('VALIDATION', 'This is not a Fieldline invitation code: copy the whole code from the invitation email (it starts with FLJ1.)', { key: 'sync.join.malformed' })
}

export function encodeInvitationCode(code: InvitationCode): string {
  const payload = { u: code.url, d: code.database, n: code.user, p: code.password, a: code.auth }
  return `${INVITATION_CODE_PREFIX}${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`
}

/**
 * Reads a pasted code. Mail clients wrap long lines and quote them ("> "), and people copy a space or a full stop along:
 * whitespace and quote marks inside are dropped, a trailing full stop too; anything else that is not base64url is a
 * damaged code.
 */
export function parseInvitationCode(text: string): InvitationCode {
  if (text.length > MAX_INVITATION_CODE) throw malformed()
  const compact = text.replace(/[\s>]+/g, '').replace(/\.$/, '')
  if (!compact.startsWith(INVITATION_CODE_PREFIX)) {
    if (/^FLJ\d+\./.test(compact)) {
      throw AppError.withRef('VALIDATION', 'This invitation code was made by a newer Fieldline: update Fieldline, then join again', { key: 'sync.join.newer' })
    }
    throw malformed()
  }
  const body = compact.slice(INVITATION_CODE_PREFIX.length)
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw malformed()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    throw malformed()
  }
  const checked = payloadSchema.safeParse(parsed)
  if (!checked.success) throw malformed()
  const p = checked.data
  return { url: p.u, database: p.d, user: p.n, password: p.p, auth: p.a }
}
