/**
 * Workspace documents of the team: `invitation:<id>` (kind 'invitation'), one invitation and its state.
 */
import { getOrNull, type BaseDoc, type Db } from '../store/documents'
import {
  INVITATION_PREFIX,
  type Invitation,
  type InvitationAccount,
  type InvitationRole,
  type InvitationState,
  type MailFailure,
  type MailLanguage,
  type MailMode,
} from '../../../src-shared/models/mail'

export interface InvitationDoc extends BaseDoc {
  kind: 'invitation'
  name: string
  email: string
  role: InvitationRole
  language: MailLanguage
  organisation: string
  invitedBy: string
  state: InvitationState
  via: MailMode | null
  attempts: number
  messageId: string | null
  lastError: MailFailure | null
  createdAt: string
  updatedAt: string
  sentAt: string | null
  revokedAt: string | null
  /** Since schema 2: the invitee's CouchDB user on the team server (never its password); null when none was made. */
  account: InvitationAccount | null
  /** Since schema 3: when the invitee joined with the code, as their CouchDB user says; null until then, or when it did not say. */
  joinedAt: string | null
  /**
   * Since schema 4: a send under way, written before the message goes out and cleared with its outcome. `by` is the
   * workspace's own id (store/workspace-identity.ts, never replicated): only that workspace can tell, when it opens
   * again, that the process which was sending is gone (LevelDB lets one process at a time hold a workspace).
   */
  sending: { since: string; by: string | null } | null
  /** Since schema 4: state 'unknown', when the send that was cut off started. */
  unknownSince: string | null
}

export function invitationDocId(id: string): string {
  return `${INVITATION_PREFIX}${id}`
}

export function readInvitation(db: Db, id: string): Promise<(InvitationDoc & { _rev: string }) | null> {
  return getOrNull<InvitationDoc>(db, invitationDocId(id))
}

export async function listInvitationDocs(db: Db): Promise<InvitationDoc[]> {
  const page = await db.allDocs({ include_docs: true, startkey: INVITATION_PREFIX, endkey: `${INVITATION_PREFIX}\ufff0` })
  return page.rows.map((r) => r.doc as unknown as InvitationDoc)
}

export function toInvitation(doc: InvitationDoc): Invitation {
  return {
    id: doc._id.slice(INVITATION_PREFIX.length),
    name: doc.name,
    email: doc.email,
    role: doc.role,
    language: doc.language,
    organisation: doc.organisation,
    invitedBy: doc.invitedBy,
    state: doc.state,
    via: doc.via,
    attempts: doc.attempts,
    messageId: doc.messageId,
    lastError: doc.lastError,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    sentAt: doc.sentAt,
    revokedAt: doc.revokedAt,
    joinedAt: doc.joinedAt,
    unknownSince: doc.unknownSince,
    account: doc.account,
  }
}

/** The language the newest invitation to `address` chose, or null when no one invited it. */
export async function invitedLanguage(db: Db, address: string): Promise<MailLanguage | null> {
  const wanted = address.toLowerCase()
  const mine = (await listInvitationDocs(db)).filter((d) => d.email.toLowerCase() === wanted)
  return mine.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.language ?? null
}
