/**
 * Team invitations: an operator invites a colleague by email; each invitation has a state (pending → sent | failed,
 * sent → joined, revoked) and is sent through the email extension's active configuration (core/mail), in the invitee's language.
 *
 * When team sync can create CouchDB users (AccountsPort, core/sync), an invitation makes the invitee's user on the
 * team server with the invited role, and the email carries the code that joins it (docs/wire/couchdb-sync.md §7).
 * Joining happens on the invitee's computer, which cannot write the invitation (a viewer writes nothing shared): the
 * list asks the team server which invitees' users say they joined, and records it.
 *
 * Every operator change is written together with its audit entry in one bulkDocs call. Nothing here keeps a secret:
 * the mailer comes from the mail service for the length of one operation, and a code (which holds the invitee's
 * one-time password) lives only from the account's creation to the send, in memory; a resend makes a new password.
 */
import { randomBytes } from 'node:crypto'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import type { EventBus } from '../common/events'
import { keyedSerialiser } from '../common/serial'
import type { Logger } from '../log/logger'
import type { Mailer } from '../mail/mailer'
import { assertSubject, parseInput, type OutgoingMail } from '../mail/mail-validation'
import { renderInvitation, type RenderedMail } from '../mail/templates'
import { auditDoc, type AuditInput } from '../store/audit.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { newTrashDoc, toTrashEntry } from '../store/trash.store'
import { sameAddress } from '../../../src-shared/models/mail-addresses'
import {
  invitationIdSchema,
  invitationListInputSchema,
  inviteInputSchema,
  type Invitation,
  type InvitationAccount,
  type InvitationRole,
  type InviteCheck,
  type MailFailure,
} from '../../../src-shared/models/mail'
import { invitationDocId, listInvitationDocs, readInvitation, toInvitation, type InvitationDoc } from './invitations.store'

/** What the team needs from the email extension: the active configuration's mailer, for one operation. */
export interface MailPort {
  withActiveMailer<T>(run: (mailer: Mailer, organisation: string | null, source: { environment: boolean }) => Promise<T>): Promise<T>
}

/** What the team needs from team sync: the invitees' CouchDB users on the team server (core/sync/sync.service.ts). */
export interface AccountsPort {
  inviteCheck(): Promise<InviteCheck>
  createInvitee(email: string, role: InvitationRole, user?: string): Promise<{ account: InvitationAccount; code: string }>
  renewInvitee(account: InvitationAccount, role: InvitationRole): Promise<{ code: string }>
  removeInvitee(account: InvitationAccount): Promise<{ removed: boolean }>
  inviteeJoined(account: InvitationAccount): Promise<{ joined: boolean; at: string | null }>
}

export interface TeamServiceDeps {
  db: Db
  mail: MailPort
  /** Without it invitations carry no code (as when team sync is not set up). */
  accounts?: AccountsPort
  /**
   * The role gate (core/sync/role-gate.ts), asked before a message goes out: the invitation's record would be refused
   * after the invitee already had the mail.
   */
  gate?: { check(docs: readonly { _id?: string }[]): void }
  /** For 'audit:changed'. */
  bus?: Pick<EventBus, 'emit'>
  logger?: Logger
  /** Told after the invitations change, for the event the contract carries. */
  onChange?: () => void
  /**
   * The workspace's own id (null while it has none): a send marks the invitation with it, so that this workspace,
   * opened again, knows a marked send was its own and that its process is gone (interruptedSends).
   */
  workspaceId?: string | null
  now?: () => Date
}

/** An invitee's account and the code that carries its one-time password, for the one send it is made for. */
interface Joining {
  account: InvitationAccount
  code: string
}

function accountsUnavailable(account: InvitationAccount): AppError {
  return AppError.withRef('CONFLICT', `The invitee's user ${account.user} is on the team server, and team sync is not available here to remove it`, {
    key: 'team.account.noSync',
    params: { user: account.user },
  })
}

function failureOf(e: AppError): MailFailure {
  const ref = e.details?.ref
  return { code: e.code, message: e.message, ...(ref ? { ref } : {}) }
}

/**
 * How long a list waits for the team server to say who joined before it answers with what is known (a server that
 * does not answer must not hold the Team page); a later answer is recorded all the same, and the page told.
 */
const JOINED_CHECK_WAIT_MS = 5000

/** An invitation in the trail by the person it is for, as they were named when it happened (it stays true once the invitation is deleted). */
function invitee(doc: { name: string; email: string }): string {
  return doc.name ? `${doc.name} <${doc.email}>` : doc.email
}

export function createTeamService(deps: TeamServiceDeps) {
  const { db, mail, accounts, bus, logger, onChange, gate } = deps
  const now = deps.now ?? (() => new Date())
  const workspaceId = deps.workspaceId ?? null
  /** Invitations with a send in flight: a revoke or a second send meanwhile is refused rather than left to race it. */
  const busy = new Set<string>()
  /**
   * Invites of one address (without case, as sameAddress compares) run one after the other: a second invite of the
   * same address then meets the first as a duplicate. Checked side by side, both found none and both were created and
   * sent (cold trial: two windows of one serve mode).
   */
  const invitesOf = keyedSerialiser()
  /** The look at who joined under way, shared by the lists that ask meanwhile. */
  let joinedCheck: Promise<void> | null = null

  const changed = (): void => {
    onChange?.()
    bus?.emit('audit:changed', {})
  }

  async function writeWithAudit(docs: object[]): Promise<PouchDB.Core.Response[]> {
    const results = await db.bulkDocs(docs as InvitationDoc[])
    assertBulkOk(results)
    return results as PouchDB.Core.Response[]
  }

  function invitationNotFound(id: string): AppError {
    return AppError.withRef('NOT_FOUND', `There is no invitation ${id}`, { key: 'mail.invitation.notFound', params: { id } })
  }

  async function mustGetInvitation(rawId: unknown): Promise<InvitationDoc & { _rev: string }> {
    const id = parseInput(invitationIdSchema, rawId)
    const doc = await readInvitation(db, id)
    if (!doc) throw invitationNotFound(id)
    return doc
  }

  /**
   * Applies `change` to the newest revision and writes it with its audit entry. A replica may have changed the
   * invitation meanwhile (409): then the change is applied again to what it wrote.
   */
  async function updateInvitation(id: string, change: (latest: InvitationDoc & { _rev: string }, at: string) => { doc: InvitationDoc; audit: AuditInput | null }): Promise<InvitationDoc> {
    for (let attempt = 0; ; attempt++) {
      const latest = await readInvitation(db, id)
      if (!latest) throw invitationNotFound(id)
      const at = now().toISOString()
      const { doc, audit } = change(latest, at)
      try {
        const [written] = await writeWithAudit(audit ? [doc, auditDoc({ ...audit, at })] : [doc])
        changed()
        return { ...doc, _rev: written!.rev }
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e
      }
    }
  }

  /** Marks an invitation as being sent until `run` settles; a second send or a revoke meanwhile is refused. */
  async function reserved<T>(id: string, run: () => Promise<T>): Promise<T> {
    if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now`, { key: 'mail.invitation.busy', params: { id } })
    busy.add(id)
    try {
      return await run()
    } finally {
      busy.delete(id)
    }
  }

  /**
   * Sends one invitation (reserved by the caller) and records the outcome; an AppError becomes state 'failed' with
   * its reason rather than a throw, because the invitation exists and the operator sees why it did not go out.
   */
  async function deliver(doc: InvitationDoc, mailer: Mailer, action: 'invitation.send' | 'invitation.resend', ctx: CallContext, join: Joining | null): Promise<Invitation> {
    const id = doc._id.slice('invitation:'.length)
    const rendered: RenderedMail = renderInvitation({
      join: join ? { code: join.code, server: join.account.url, database: join.account.database } : null,
      language: doc.language,
      name: doc.name,
      email: doc.email,
      role: doc.role,
      organisation: doc.organisation,
      invitedBy: doc.invitedBy,
      reference: id,
    })
    const mail: OutgoingMail = { from: mailer.from, to: { name: doc.name, address: doc.email }, ...rendered }
    let outcome: { messageId: string | null } | AppError
    try {
      outcome = await mailer.send(mail)
    } catch (e) {
      if (!isAppError(e)) {
        outcome = new AppError('INTERNAL', 'Unexpected failure while sending the invitation')
        logger?.error({ mail: action, err: e }, 'mail')
      } else {
        outcome = e
      }
    }
    const result = outcome
    const saved = await updateInvitation(id, (latest, at) => {
      const attempts = latest.attempts + 1
      const base = { ...latest, via: mailer.mode, attempts, updatedAt: at, account: join?.account ?? latest.account, sending: null, unknownSince: null }
      // A revocation that replicated in while the message was on its way stays a revocation.
      const keepRevoked = latest.state === 'revoked'
      const next: InvitationDoc =
        result instanceof AppError
          ? { ...base, state: keepRevoked ? 'revoked' : 'failed', lastError: failureOf(result) }
          : { ...base, state: keepRevoked ? 'revoked' : 'sent', lastError: null, messageId: result.messageId, sentAt: at }
      return {
        doc: next,
        audit: {
          actor: ctx.actor,
          action,
          target: `invitation/${id}`,
          subject: invitee(latest),
          outcome: result instanceof AppError ? 'failed' : 'ok',
          before: { state: latest.state },
          after: { state: next.state, via: mailer.mode, email: latest.email, code: join !== null },
          // The code and the message's reference only: the server's reply may quote addresses or the account.
          ...(result instanceof AppError
            ? { error: { code: result.code, message: result.details?.ref?.key ?? result.code, ...(result.details?.ref ? { details: { ref: result.details.ref } } : {}) } }
            : {}),
        },
      }
    })
    return toInvitation(saved)
  }

  /**
   * The account and code an invitation is sent with: a new one-time password for the account it has, else a new
   * account when team sync can make one, else none (the email then says to ask for the server's address).
   */
  async function joining(doc: Pick<InvitationDoc, 'email' | 'role' | 'account'>, user?: string): Promise<Joining | null> {
    if (doc.account) {
      if (!accounts) throw accountsUnavailable(doc.account)
      return { account: doc.account, code: (await accounts.renewInvitee(doc.account, doc.role)).code }
    }
    const check = accounts ? await accounts.inviteCheck() : null
    if (!accounts || !check?.codes) {
      if (user === undefined) return null
      // A chosen user name is a promise of a user on the team server: refused rather than sent without one.
      throw AppError.withRef(
        'VALIDATION',
        `A user name for the team server was given, but this invitation can carry no code${check?.reason ? ` (${check.reason.message})` : ''}: send it without a user name, or set up team sync as a server admin first`,
        { key: 'team.account.nameWithoutCode' },
        { issues: [{ path: 'user', message: 'needs an invitation code' }] },
      )
    }
    return accounts.createInvitee(doc.email, doc.role, user)
  }

  /**
   * Marks the invitation as being sent by this workspace, before the message goes out: should the process end before
   * the outcome is written, the next open finds the marker (interruptedSends) instead of a state that says nothing.
   */
  async function markSending(id: string): Promise<void> {
    await updateInvitation(id, (latest, at) => ({ doc: { ...latest, sending: { since: at, by: workspaceId } }, audit: null }))
  }

  /** Records that the invitee joined, with the fact's own audit entry (no operator did it: the actor is Fieldline). */
  async function recordJoined(doc: InvitationDoc, joinedAt: string | null): Promise<void> {
    const id = doc._id.slice('invitation:'.length)
    await updateInvitation(id, (latest, at) => ({
      // A revocation that replicated in meanwhile stays a revocation: the invitee's user is gone with it.
      doc: { ...latest, state: latest.state === 'revoked' ? 'revoked' : 'joined', joinedAt, updatedAt: at },
      audit: {
        actor: 'fieldline',
        action: 'invitation.joined',
        target: `invitation/${id}`,
        subject: invitee(latest),
        outcome: 'ok',
        before: { state: latest.state },
        after: { state: 'joined', joinedAt, user: latest.account?.user ?? null },
      },
    }))
  }

  /**
   * Asks the team server about every invitation sent with a code and not known to be joined, and records those whose
   * user says so. Team sync not set up, the server away, or a user this account may not read: nothing is recorded and
   * the rest is not asked (the same answer would come back), and the next list asks again. Never throws.
   */
  function checkJoined(): Promise<void> {
    joinedCheck ??= (async () => {
      try {
        if (!accounts) return
        // An invitation whose outcome is unknown is asked about too: an invitee who joined had the mail.
        const waiting = (await listInvitationDocs(db)).filter((d) => (d.state === 'sent' || d.state === 'unknown') && d.account !== null)
        for (const doc of waiting) {
          const answer = await accounts.inviteeJoined(doc.account!)
          // A role the server refuses team settings to has its write refused by the role gate, like any other.
          if (answer.joined) await recordJoined(doc, answer.at)
        }
      } catch (err) {
        logger?.debug({ err: isAppError(err) ? err.code : err }, 'could not learn which invitees joined')
      } finally {
        joinedCheck = null
      }
    })()
    return joinedCheck
  }

  /** Waits for the look at who joined, at most JOINED_CHECK_WAIT_MS. */
  async function joinedKnown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([checkJoined(), new Promise<void>((resolve) => (timer = setTimeout(resolve, JOINED_CHECK_WAIT_MS)))])
    clearTimeout(timer)
  }

  return {
    /** Whether an invitation sent now carries a code, and why not: the dialog and the CLI say it before sending. */
    async inviteCheck(): Promise<InviteCheck> {
      return accounts ? accounts.inviteCheck() : { codes: false, reason: null, server: null }
    },

    async invite(rawInput: unknown, ctx: CallContext): Promise<Invitation> {
      const input = parseInput(inviteInputSchema, rawInput)
      // Configuration problems are reported before anything is written: no invitation exists that could not be sent.
      return invitesOf(input.email.toLowerCase(), () =>
        mail.withActiveMailer(async (mailer, organisation, source) => {
          if (!organisation) {
            const where = source.environment ? 'Set FIELDLINE_ORGANISATION (or enter the organisation name in Extensions → Email)' : 'Enter the organisation name in Extensions → Email'
            throw AppError.withRef('VALIDATION', `${where}: invitations name it`, { key: 'mail.organisationRequired' })
          }
          const duplicate = (await listInvitationDocs(db)).find((d) => d.state !== 'revoked' && sameAddress(d.email, input.email))
          if (duplicate) {
            const id = duplicate._id.slice('invitation:'.length)
            throw AppError.withRef('CONFLICT', `${input.email} already has an invitation (${id}, ${duplicate.state}); resend or revoke it`, {
              key: 'mail.invitation.exists',
              params: { email: input.email, id, state: duplicate.state },
            })
          }
          const id = randomBytes(8).toString('hex')
          const at = now().toISOString()
          const doc: InvitationDoc = {
            _id: invitationDocId(id),
            kind: 'invitation',
            schemaVersion: CURRENT_SCHEMA.invitation,
            name: input.name,
            email: input.email,
            role: input.role,
            language: input.language,
            organisation,
            invitedBy: input.invitedBy ?? mailer.from.name ?? mailer.from.address,
            state: 'pending',
            via: null,
            attempts: 0,
            messageId: null,
            lastError: null,
            createdAt: at,
            updatedAt: at,
            sentAt: null,
            revokedAt: null,
            account: null,
            joinedAt: null,
            // Written with the invitation itself: there is no moment when it exists, about to be sent, unmarked.
            sending: { since: at, by: workspaceId },
            unknownSince: null,
          }
          // The subject holds the inviter's and the organisation's names: checked before the invitation (or an account) exists.
          assertSubject(renderInvitation({ ...doc, reference: id, join: null }).subject)
          const join = await joining(doc, input.user)
          doc.account = join?.account ?? null
          await writeWithAudit([
            doc,
            auditDoc({
              at,
              actor: ctx.actor,
              action: 'invitation.create',
              target: `invitation/${id}`,
              subject: invitee(doc),
              outcome: 'ok',
              after: { name: doc.name, email: doc.email, role: doc.role, language: doc.language, state: 'pending', account: doc.account?.user ?? null },
            }),
          ]).catch(async (e: unknown) => {
            // The user made for an invitation that does not exist would be a way in that no one sees.
            if (join)
              await accounts
                ?.removeInvitee(join.account)
                .catch((err: unknown) => logger?.warn({ err, user: join.account.user }, 'an invitee user made for an invitation that was not saved could not be removed'))
            throw e
          })
          changed()
          return reserved(id, () => deliver(doc, mailer, 'invitation.send', ctx, join))
        }),
      )
    },

    async resend(rawId: unknown, ctx: CallContext): Promise<Invitation> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (doc.state === 'revoked') {
        throw AppError.withRef('CONFLICT', `Invitation ${id} was revoked and cannot be sent again; invite ${doc.email} anew`, { key: 'mail.invitation.revoked', params: { id } })
      }
      if (doc.state === 'joined') {
        // Their password is their own now: a new code would take it from them.
        const user = doc.account?.user ?? doc.email
        throw AppError.withRef('CONFLICT', `${user} has already joined the team with this invitation: there is nothing to send again`, { key: 'team.account.joined', params: { user } })
      }
      gate?.check([doc])
      // The mail configuration is checked first: a new password is made only for a message that can go out.
      return reserved(id, () =>
        mail.withActiveMailer(async (mailer) => {
          const join = await joining(doc)
          await markSending(id)
          return deliver(doc, mailer, 'invitation.resend', ctx, join)
        }),
      )
    },

    /**
     * The operator's word that an invitation whose outcome is unknown did go out (the invitee has it): it is taken as
     * sent, dated when the cut-off send started, and nothing is sent. Any other state is refused, unchanged.
     */
    async dismiss(rawId: unknown, ctx: CallContext): Promise<Invitation> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now`, { key: 'mail.invitation.busy', params: { id } })
      if (doc.state !== 'unknown') {
        throw AppError.withRef('CONFLICT', `Invitation ${id} is ${doc.state}, not of unknown outcome: there is nothing to dismiss`, {
          key: 'team.notUnknown',
          params: { id },
        })
      }
      const saved = await updateInvitation(id, (latest, at) => {
        // A revocation or a join that replicated in meanwhile says more than the operator's word.
        const state = latest.state === 'unknown' ? 'sent' : latest.state
        return {
          doc: { ...latest, state, sentAt: latest.sentAt ?? latest.unknownSince, unknownSince: null, updatedAt: at },
          audit: {
            actor: ctx.actor,
            action: 'invitation.dismiss',
            target: `invitation/${id}`,
            subject: invitee(latest),
            outcome: 'ok',
            before: { state: latest.state, since: latest.unknownSince },
            after: { state, email: latest.email },
          },
        }
      })
      return toInvitation(saved)
    },

    /**
     * Invitations this workspace was sending when its process ended (killed, crashed, power lost): state 'unknown',
     * audited with Fieldline as the actor, and never sent again by themselves: the mail may have left. Run once the
     * workspace is open, before this process sends anything; a marker of another workspace is that one's to judge
     * (its send may still be under way). Returns the invitations it changed.
     */
    async interruptedSends(): Promise<Invitation[]> {
      if (!workspaceId) return []
      const cut = (await listInvitationDocs(db)).filter((d) => d.sending?.by === workspaceId && !busy.has(d._id.slice('invitation:'.length)))
      const changedOnes: Invitation[] = []
      for (const doc of cut) {
        const id = doc._id.slice('invitation:'.length)
        const saved = await updateInvitation(id, (latest, at) => {
          // Revoked or joined meanwhile (replicated in): that state stands, only the marker goes.
          const state = latest.state === 'revoked' || latest.state === 'joined' ? latest.state : 'unknown'
          const since = latest.sending?.since ?? at
          return {
            doc: { ...latest, state, sending: null, unknownSince: state === 'unknown' ? since : null, updatedAt: at },
            audit: {
              actor: 'fieldline',
              action: 'invitation.interrupted',
              target: `invitation/${id}`,
              subject: invitee(latest),
              outcome: 'unknown',
              before: { state: latest.state, sendingSince: since },
              after: { state, email: latest.email },
            },
          }
        })
        logger?.warn({ invitation: id, since: saved.unknownSince }, 'an invitation was being sent when Fieldline stopped: its outcome is unknown (resend or dismiss it)')
        changedOnes.push(toInvitation(saved))
      }
      return changedOnes
    },

    async revoke(rawId: unknown, ctx: CallContext): Promise<Invitation> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (doc.state === 'revoked') return toInvitation(doc)
      if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now; revoke it when that is over`, { key: 'mail.invitation.busy', params: { id } })
      // The invitee's user goes first: a revocation the server did not carry out is not recorded as one.
      const account = doc.account
      if (account) {
        if (!accounts) throw accountsUnavailable(account)
        await accounts.removeInvitee(account)
      }
      const saved = await updateInvitation(id, (latest, at) => ({
        doc: { ...latest, state: 'revoked', revokedAt: latest.revokedAt ?? at, updatedAt: at },
        audit: {
          actor: ctx.actor,
          action: 'invitation.revoke',
          target: `invitation/${id}`,
          subject: invitee(latest),
          outcome: 'ok',
          before: { state: latest.state },
          after: { state: 'revoked', email: latest.email, ...(account ? { accountRemoved: account.user } : {}) },
        },
      }))
      return toInvitation(saved)
    },

    /** Moves an invitation (in any state) to the trash; refused while it is being sent. */
    async remove(rawId: unknown, ctx: CallContext): Promise<{ removed: true; trashId: string }> {
      const doc = await mustGetInvitation(rawId)
      const id = doc._id.slice('invitation:'.length)
      if (busy.has(id)) throw AppError.withRef('CONFLICT', `Invitation ${id} is being sent right now; delete it when that is over`, { key: 'mail.invitation.busy', params: { id } })
      if (doc.account && doc.state !== 'revoked') {
        // Deleted, the invitation would leave its user on the team server with no record to revoke it from.
        throw AppError.withRef('CONFLICT', `Invitation ${id} has a user on the team server (${doc.account.user}): revoke it first`, {
          key: 'team.account.revokeFirst',
          params: { id, user: doc.account.user },
        })
      }
      const at = now().toISOString()
      const trash = newTrashDoc({ item: 'invitation', target: `invitation/${id}`, label: `${doc.name} <${doc.email}>`, deletedAt: at, deletedBy: ctx.actor, docs: [doc] })
      await writeWithAudit([
        { _id: doc._id, _rev: doc._rev, _deleted: true },
        trash,
        auditDoc({
          at,
          actor: ctx.actor,
          action: 'invitation.remove',
          target: `invitation/${id}`,
          subject: invitee(doc),
          outcome: 'ok',
          before: { state: doc.state, email: doc.email },
          after: { trash: toTrashEntry(trash).id },
        }),
      ])
      changed()
      bus?.emit('trash:changed', {})
      return { removed: true, trashId: toTrashEntry(trash).id }
    },

    async get(rawId: unknown): Promise<Invitation> {
      return toInvitation(await mustGetInvitation(rawId))
    },

    /** Newest first, with the invitees who joined since the last look recorded first (checkJoined). */
    async list(rawInput: unknown = {}): Promise<{ items: Invitation[] }> {
      const { state } = parseInput(invitationListInputSchema, rawInput)
      await joinedKnown()
      const docs = await listInvitationDocs(db)
      const items = docs
        .filter((d) => state === undefined || d.state === state)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b._id.localeCompare(a._id))
        .map(toInvitation)
      return { items }
    },
  }
}

export type TeamService = ReturnType<typeof createTeamService>
