import { auditFailureAsError } from './audit.migrations'
import type { BaseDoc } from './documents'
import { invitationNotJoined, invitationNotSending, invitationWithoutAccount } from './invitation.migrations'

/**
 * A migration upgrades a document of one kind from one schemaVersion to the next. It is a pure function of the
 * document: the same step upgrades the workspace at start-up and any older document read later (one a teammate on an
 * older release replicated in after this workspace was migrated).
 */
export interface Migration {
  kind: string
  from: number
  to: number
  up(doc: BaseDoc): BaseDoc
}

/**
 * The schema version every kind is written at today. Writers take their version from here, never from a literal
 * (lint refuses `schemaVersion: <number>` in the core), so raising a kind's version here and adding its migration
 * below is the whole of a schema change.
 */
export const CURRENT_SCHEMA = {
  device: 1,
  draft: 1,
  profile: 1,
  /** 2: a failure is kept as a translatable ErrorInfo (`error`), no longer as "CODE: text" in `detail`; subject, via, outboxId and the outbox outcomes added. */
  audit: 2,
  cache: 1,
  outbox: 1,
  mailSettings: 1,
  /**
   * 2: `account`, the invitee's CouchDB user on the team server (null when the invitation carried no code).
   * 3: state 'joined' and `joinedAt`, once the invitee's user on the team server says they joined.
   * 4: `sending` (which workspace is sending it, since when) and state 'unknown' with `unknownSince`, for a send cut off.
   */
  invitation: 4,
  package: 1,
  ticket: 1,
  ledgerTarget: 1,
  ledgerRoute: 1,
  ledgerItem: 1,
  ledgerForwarder: 1,
  weatherSettings: 1,
  /** `_local/imports`, the imports this machine has running (never replicated, so never migrated by replication). */
  imports: 1,
  /** Device events read back from the historian's buckets, in the local history cache (history-cache.store.ts). */
  historyEvent: 1,
  /** SIM inventory: `_local/sims-sync:<account>`, one account's sync checkpoint on this machine. */
  simSync: 1,
  /** Saved inventory searches (`simSearch:<id>`). */
  simSearch: 1,
  /** Usage alert rules, the inbox's notifications, and `_local/alert-state:<rule>` (the conditions that held last time). */
  alertRule: 1,
  notification: 1,
  alertState: 1,
  /** A bulk SIM job and its target rows (core/jobs/jobs.store.ts). */
  simJob: 1,
  simJobRow: 1,
  /** A cancelled job's marker while its rows still await open Orange tickets (`simjobticketsleft:<jobId>`). */
  simJobTicketsLeft: 1,
  /** An SMS sent through Control Center and its delivery status as last read (sent-sms.store.ts). */
  sentSms: 1,
  /** `_local/sync-settings` and `_local/sync-state`: this computer's team sync (never replicated). */
  syncSettings: 1,
  syncState: 1,
  /** A deleted device, profile, package, invitation or alert rule kept whole for 30 days (trash.store.ts). */
  trash: 1,
} satisfies Record<string, number>

/**
 * Released migrations, oldest first: for every kind one step from each version below its current one
 * (`checkSchema` refuses a gap).
 */
export const MIGRATIONS: readonly Migration[] = [
  { kind: 'audit', from: 1, to: 2, up: auditFailureAsError },
  { kind: 'invitation', from: 1, to: 2, up: invitationWithoutAccount },
  { kind: 'invitation', from: 2, to: 3, up: invitationNotJoined },
  { kind: 'invitation', from: 3, to: 4, up: invitationNotSending },
]
