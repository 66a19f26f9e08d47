/**
 * Team sync (docs/wire/couchdb-sync.md): this workspace replicated live, both ways, with the team's CouchDB or
 * Cloudant database, by PouchDB's own `sync` (live, retrying with back-off while the server is away).
 *
 * - Settings are this computer's (`_local`), the password or API key in the vault; saving is audited.
 * - Only the chosen groups of documents travel (sync-filter.ts), in both directions.
 * - The status is always known: syncing, live (both sides up to date), offline (retrying), error (the server refuses
 *   us, with its reason), and the first catch-up's progress in batches with an estimate.
 * - A document the server's validation refuses is never retried by PouchDB (the checkpoint moves past it), so every
 *   refusal is remembered with the server's reason until the operator clears the list.
 * - A revision pulled in that makes a conflict is remembered as "theirs", so a resolution can keep "mine" or "theirs".
 * - Invitations (docs/wire/couchdb-sync.md §7): the invitees' CouchDB users are made, renewed and removed here for
 *   core/team (its AccountsPort), and `join` spends an invitation code on the computer of the person invited.
 */
import { randomBytes } from 'node:crypto'
import type { ErrorInfo } from '../../../src-shared/contract'
import type { DeviceKey } from '../../../src-shared/models/device-id'
import { profileExtensionSchema, type ProfileExtension } from '../../../src-shared/models/profiles'
import { transportCauseInEnglish } from '../../../src-shared/models/transport-causes'
import {
  DEFAULT_SYNC_SHARES,
  refusedShares,
  ROLE_WRITES,
  SHARE_PREFIXES,
  shareOfId,
  stoppedSyncStatus,
  type SyncShare,
  type SyncConflict,
  type SyncDenied,
  type SyncJoinResult,
  type SyncRole,
  type SyncSaved,
  type SyncSaveInput,
  type SyncSettingsView,
  type SyncStatus,
} from '../../../src-shared/models/sync'
import type { CallContext } from '../common/call-context'
import { AppError, isAppError } from '../common/errors'
import { throttled, type EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import { auditDoc } from '../store/audit.store'
import { latestSeq } from '../store/changes-feed'
import { assertBulkOk, getOrNull, type BaseDoc, type Db } from '../store/documents'
import { deviceDocId, draftDocId } from '../store/devices.store'
import type { IamTokens } from '../historian/iam-token'
import { clearRemovedSecrets, type SecretOwner } from '../trash/removed-secrets'
import type { SecretStore } from '../vault/secret-store'
import { encodeInvitationCode, parseInvitationCode, type InvitationCode } from './invitation-code'
import { conflictsAmong, conflictsOf, listConflicts, resolveConflict, type Keep } from './conflicts'
import { deletedHereAmong, deletedHereConflicts, resolveDeletedHere, trashedAmong } from './deleted-here'
import { leavesOf, restoredFrom, tombstoneOf, winnerOf, type Leaf } from './discard'
import { iamTokensFor, openRemote, remoteDocCount, remoteInfo, remoteRefusal, remoteUrl, serverJson, type Remote, type RemoteAuth } from './remote'
import type { RoleGate } from './role-gate'
import { replicationFilter, sharedPrefixes } from './sync-filter'
import {
  MAX_DENIED,
  MAX_DISCARDED,
  newSyncSettingsDoc,
  readSyncSettings,
  readSyncState,
  syncSecretAccount,
  UNCHANGED,
  updateSyncState,
  type SyncSecret,
  type SyncSettingsDoc,
  type SyncStateDoc,
} from './sync.store'
import { ROLES_DESIGN_ID, TEAM_SECURITY, teamRole, VALIDATE_DOC_UPDATE } from './team-security'

/** The CouchDB user made for an invitee, as its invitation remembers it (never its password). */
export interface InviteeAccount {
  url: string
  database: string
  user: string
}

export interface SyncTuning {
  /** Documents per replication batch (docs/wire/couchdb-sync.md §5: 1000 cut a 100k pull from 36 s to 22 s). */
  batchSize?: number
  /**
   * Batches a direction may hold read but not yet written. PouchDB's default of 10 was meant for batches of 100; with
   * batches of 1000 it holds up to 10,000 documents. Two keep the pipeline busy (the 20k bench used less CPU and
   * memory with 2 than with 10: test/bench/team-sync.bench.ts).
   */
  batchesLimit?: number
  /** Back-off between retries while the server is away. */
  backOffMs?: { minMs: number; maxMs: number }
}

export interface SyncServiceDeps {
  db: Db
  vault: SecretStore
  bus: EventBus
  logger?: Logger
  now?: () => Date
  tuning?: SyncTuning
  /** Told the role and what it may not change, each time the service works them out (role-gate.ts). */
  gate?: Pick<RoleGate, 'set' | 'check' | 'refusing'>
}

/** A save as the bridge passes it, or as a caller in the core writes one (`offline` false unless given). */
type SaveRequest = Omit<SyncSaveInput, 'offline'> & { offline?: boolean }

const AUDIT_TARGET = 'sync/settings'
const SHOWN_DENIED = 200
/** Documents the device list and a device's page show: devices, and the carrier and weather caches of their cells. */
const DEVICE_VIEW_PREFIXES = [...SHARE_PREFIXES.devices, ...SHARE_PREFIXES.caches]

function notConfigured(): AppError {
  return AppError.withRef('VALIDATION', 'Team sync is not set up: save a server URL and database first', { key: 'sync.notConfigured' })
}

function settingsSummary(doc: SyncSettingsDoc | null): Record<string, unknown> | undefined {
  return doc
    ? { url: doc.url, database: doc.database, auth: doc.auth, username: doc.username, iamUrl: doc.iamUrl, shares: doc.shares, autoStart: doc.autoStart, secretsSet: doc.secretFields }
    : undefined
}

/** How PouchDB reports a failed request: a plain object (or Error) with `status`, `name`/`error` and `reason`/`message`. */
interface PouchFailure {
  status?: number
  name?: string
  error?: string | boolean
  reason?: string
  message?: string
  id?: string
  rev?: string
}

function reasonOf(e: PouchFailure): string {
  return String(e.reason ?? e.message ?? e.name ?? 'unknown').slice(0, 300)
}

/** A system or undici code in a failed request (node-fetch's `code`, or its message: "…reason: connect ECONNREFUSED …"). */
const TRANSPORT_CODE = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/

/**
 * Why the server cannot be reached, for the operator: the transport code when there is one, which the window says in
 * words of its language (a body cut short, "Premature close", is a reset connection); else the failure's own text.
 */
function unreachableCause(e: PouchFailure & { code?: unknown }): string {
  if (typeof e.code === 'string' && TRANSPORT_CODE.test(e.code)) return e.code
  const text = reasonOf(e)
  return TRANSPORT_CODE.exec(text)?.[1] ?? (/premature close/i.test(text) ? 'ECONNRESET' : text)
}

function offline(e: PouchFailure): AppError {
  const cause = unreachableCause(e)
  return AppError.withRef('NETWORK', `The sync server cannot be reached: ${transportCauseInEnglish(cause)?.explained ?? reasonOf(e)}`, { key: 'sync.offline', params: { reason: cause } })
}

/**
 * Whether the server answered, but not as CouchDB does: a web page or broken JSON where JSON was due (PouchDB's fetch
 * fails with type 'invalid-json'), or JSON of another shape, on which PouchDB's own code then fails with a TypeError.
 * Cold trial: a web server at the configured address was called "cannot be reached", with PouchDB's internals as the
 * reason ("res$$1.results.filter is not a function"), and `sync start --once` waited for ever.
 */
function answeredNotAsCouch(e: PouchFailure & { type?: unknown; stack?: unknown }): boolean {
  if (typeof e.status === 'number' && e.status > 0) return false
  if (TRANSPORT_CODE.test(reasonOf(e))) return false
  // A replication hands its failure on as a copy of the error's own properties (PouchDB's createError): the class name
  // is gone, but the stack still starts with it.
  const thrown = typeof e.stack === 'string' ? e.stack : `${e.name ?? ''}:`
  return e.type === 'invalid-json' || /^(TypeError|SyntaxError):/.test(thrown)
}

function notCouch(e: PouchFailure): AppError {
  return AppError.withRef(
    'NETWORK',
    `The server at the team sync address answered, but not as a CouchDB or Cloudant server does (${reasonOf(e)}): another server may answer there. Check the server URL (Settings → Team sync, or sync setup).`,
    { key: 'sync.notCouch' },
  )
}

/**
 * A paused-with-error replication: refused (401/403/404), or answered not as CouchDB does (another server at that
 * address), is an error the operator must act on; anything else is offline.
 */
function pausedState(e: PouchFailure): { state: 'offline' | 'error'; reason: AppError } {
  const status = e.status ?? 0
  if (status === 401 || status === 403 || status === 404) return { state: 'error', reason: remoteRefusal(status, { reason: reasonOf(e) }, 'sync') }
  if (answeredNotAsCouch(e)) return { state: 'error', reason: notCouch(e) }
  // The live sync tries again by itself (retry: true): the window says what to check if it lasts, not to try again.
  const reason = offline(e)
  return { state: 'offline', reason: new AppError(reason.code, reason.message, { ...reason.details, retrying: true }) }
}

interface ChangeInfo {
  direction: 'push' | 'pull'
  change: { docs_read?: number; docs_written?: number; pending?: number; last_seq?: unknown; docs?: { _id: string; _rev?: string }[] }
}

/** The profile kinds a pulled batch touched (`profile:<extension>:<id>`), each once. */
export function pulledProfileKinds(docs: readonly { _id: string }[]): ProfileExtension[] {
  const kinds = new Set<ProfileExtension>()
  for (const d of docs) {
    const [prefix, kind] = d._id.split(':')
    const parsed = profileExtensionSchema.safeParse(kind)
    if (prefix === 'profile' && parsed.success) kinds.add(parsed.data)
  }
  return [...kinds]
}

/** A sequence as a number when it is one (PouchDB and express-pouchdb count; CouchDB 2+ and Cloudant's are opaque). */
export function seqNumber(seq: unknown): number | null {
  const n = typeof seq === 'number' ? seq : typeof seq === 'string' && /^\d+$/.test(seq) ? Number(seq) : NaN
  return Number.isFinite(n) ? n : null
}

/**
 * Changes the source still holds after a replication batch (docs/wire/couchdb-sync.md §5). The server's own count when its changes feed gives one
 * (CouchDB 2+ and Cloudant send `pending`); otherwise the difference of sequence numbers, the source's latest less the
 * batch's `last_seq` (for a push the workspace's update_seq, which PouchDB keeps in memory; for a pull the server's
 * update_seq read at its first pulled batch: express-pouchdb counts its sequences like PouchDB). That difference counts
 * every write since the batch, those of documents not shared and repeated writes of one document included, so it is
 * an upper bound; null when neither is known (an opaque sequence without `pending`).
 */
export function pendingAfterBatch(change: { pending?: number; last_seq?: unknown }, sourceLatest: unknown): number | null {
  if (typeof change.pending === 'number') return change.pending
  const done = seqNumber(change.last_seq)
  const latest = seqNumber(sourceLatest)
  return done !== null && latest !== null ? Math.max(latest - done, 0) : null
}

/** A replication or a sync: cancelled, it emits 'complete'. */
interface Cancellable {
  cancel(): void
  on(event: 'complete', listener: () => void): unknown
}

/**
 * Whether the live push may start after a first sync's one-shot pull instead of reading back what it pulled: true only
 * when the workspace's sequence grew, from before the one-shot push to after the pull, by exactly the revisions the pull
 * wrote. Each stored revision takes one sequence, and the pull writes only those the workspace lacked (revs_diff asks
 * first), so any other write meanwhile (an operator's change) makes the growth larger and the push reads it as usual.
 */
export function pulledAlone(seqBefore: number, seqAfter: number, pull: { docs_written: number; doc_write_failures: number }): boolean {
  return pull.doc_write_failures === 0 && seqAfter - seqBefore === pull.docs_written
}

/** A document's fields without PouchDB's own (for the audit trail's before and after). */
function bodyOf(doc: Leaf): Record<string, unknown> {
  const { _rev: _r, _revisions: _h, _deleted: _d, ...body } = doc
  return body
}

function randomHex(): string {
  return randomBytes(16).toString('hex')
}

export function createSyncService(deps: SyncServiceDeps) {
  const { db, vault, bus, logger } = deps
  const now = deps.now ?? (() => new Date())
  /** PouchDB's batching, the same for a first sync's one-shot replications and the live sync. */
  const batching = { batch_size: deps.tuning?.batchSize ?? 1000, batches_limit: deps.tuning?.batchesLimit ?? 2 }
  const backOff = deps.tuning?.backOffMs ?? { minMs: 1000, maxMs: 60_000 }
  const statusEvents = throttled(bus, 'sync:status', 1000)
  /** A teammate's devices and cached SIM or weather data arrived: the device list and pages read again, at most once a second. */
  const devicesPulled = throttled(bus, 'devices:changed', 1000)

  /** The running sync: the live sync, or during a first sync the one-shot replication under way before it. */
  let running: { remote: Remote; task: Cancellable | null; started: number } | null = null
  let status: SyncStatus = stoppedSyncStatus(false)
  let retries = 0
  /**
   * The server's update sequence, read when a pulled batch arrives and kept until the pull catches up with it (not
   * read at start: a start with nothing to do asks nothing more of the server); null when not a number.
   */
  let remoteSeq: Promise<number | null> | null = null

  /** The remembered role and what it may not change of what this computer shares. */
  function roleOf(state: SyncStateDoc, doc: SyncSettingsDoc | null): Pick<SyncStatus, 'role' | 'roleAsOf' | 'refused'> {
    const role = state.role ?? null
    const refused = refusedShares(role, doc?.shares ?? [])
    deps.gate?.set(role, refused)
    return { role, roleAsOf: state.roleAsOf ?? null, refused }
  }

  /** Remembers the role the server just gave (a start, a verification), so it holds after a restart with the sync stopped. */
  async function rememberRole(role: SyncRole | null, doc: SyncSettingsDoc): Promise<Pick<SyncStatus, 'role' | 'roleAsOf' | 'refused'>> {
    const { state } = await updateSyncState(db, (s) => {
      s.role = role
      s.roleAsOf = now().toISOString()
    })
    return roleOf(state, doc)
  }

  function publish(change: Partial<SyncStatus>, immediate = false): void {
    const stateChanged = change.state !== undefined && change.state !== status.state
    status = { ...status, ...change }
    statusEvents.push(status)
    if (stateChanged || immediate) statusEvents.flush()
  }

  function view(doc: SyncSettingsDoc | null): SyncSettingsView {
    return {
      configured: doc !== null,
      url: doc?.url ?? '',
      database: doc?.database ?? '',
      auth: doc?.auth ?? 'basic',
      username: doc?.username ?? '',
      iamUrl: doc?.iamUrl ?? 'https://iam.cloud.ibm.com',
      shares: doc?.shares ?? [],
      autoStart: doc?.autoStart ?? false,
      secrets: { password: doc?.secretFields.includes('password') ?? false, apiKey: doc?.secretFields.includes('apiKey') ?? false },
      updatedAt: doc?.updatedAt ?? null,
    }
  }

  /** The IAM tokens of the saved key, kept across starts so that a start need not wait for a new token first. */
  let iam: { iamUrl: string; apiKey: string; tokens: IamTokens } | null = null

  /** A secret as a save would leave it: the one given with it (null: cleared), else the vault's. */
  async function secretOf(field: SyncSecret, given?: SyncSaveInput['secrets']): Promise<string | null> {
    const value = given?.[field]
    return value === undefined ? vault.get(syncSecretAccount(field)) : value
  }

  /** How to sign in with these settings; `given`: the secrets of a save not written yet (see secretOf). */
  async function authOf(doc: Pick<SyncSettingsDoc, 'auth' | 'iamUrl' | 'username'>, given?: SyncSaveInput['secrets']): Promise<RemoteAuth> {
    if (doc.auth === 'iam') {
      const apiKey = await secretOf('apiKey', given)
      if (!apiKey)
        throw AppError.withRef('VALIDATION', 'Team sync signs in with an IAM API key, and none is saved: enter it in Settings → Team sync, or give it to sync setup in FIELDLINE_SYNC_API_KEY', {
          key: 'sync.secretMissing',
          params: { field: 'apiKey' },
        })
      // Settings being checked keep their tokens to themselves: the saved key's serve the running sync.
      if (given) return { kind: 'iam', iamUrl: doc.iamUrl, apiKey }
      if (iam?.iamUrl !== doc.iamUrl || iam.apiKey !== apiKey) iam = { iamUrl: doc.iamUrl, apiKey, tokens: iamTokensFor(doc.iamUrl, apiKey) }
      return { kind: 'iam', iamUrl: doc.iamUrl, apiKey, tokens: iam.tokens }
    }
    const password = await secretOf('password', given)
    if (!doc.username || !password)
      throw AppError.withRef(
        'VALIDATION',
        'Team sync signs in with a user name and password, and they are not both saved: enter them in Settings → Team sync, or give them to sync setup (--user, and the password in FIELDLINE_SYNC_PASSWORD)',
        { key: 'sync.secretMissing', params: { field: 'password' } },
      )
    return { kind: 'basic', username: doc.username, password }
  }

  /** What a session holds on the server: the user, the team role, and whether it is a server admin (who alone creates users). */
  async function sessionOf(remote: Remote): Promise<{ user: string | null; role: SyncRole | null; serverAdmin: boolean }> {
    const res = await serverJson(remote, '/_session')
    if (res.status !== 200) throw remoteRefusal(res.status, res.body, 'sign in')
    const ctx = (res.body.userCtx ?? {}) as { name?: unknown; roles?: unknown }
    const roles = Array.isArray(ctx.roles) ? ctx.roles.filter((r): r is string => typeof r === 'string') : []
    return { user: typeof ctx.name === 'string' ? ctx.name : null, role: teamRole(roles), serverAdmin: roles.includes('_admin') }
  }

  /**
   * Whether an invitation sent now can carry a code: team sync is set up with a CouchDB user (an IAM API key is no
   * CouchDB user and cannot write `_users`), and the server says that user is a server admin, the only one who may give
   * a new user its roles (docs/wire/couchdb-sync.md §7). The server is asked each time: a remembered answer could be
   * stale, and an invitation sent without a code because of it could not be fixed afterwards.
   */
  async function accountsCheck(): Promise<{ codes: boolean; reason: ErrorInfo | null; server: { url: string; database: string } | null }> {
    const doc = await readSyncSettings(db)
    if (!doc) {
      const reason = AppError.withRef(
        'VALIDATION',
        'Team sync is not set up on this computer, so the invitation cannot carry a code to join it: set up team sync first, or send the invitation and share the server details yourself',
        { key: 'team.code.noSync' },
      )
      return { codes: false, reason: reason.toInfo(), server: null }
    }
    const server = { url: doc.url, database: doc.database }
    if (doc.auth !== 'basic') {
      const reason = AppError.withRef(
        'VALIDATION',
        'Team sync signs in with an IAM API key, which cannot create CouchDB users: the invitation will carry no code (sign in to team sync as a CouchDB server admin to send codes)',
        { key: 'team.code.iam' },
      )
      return { codes: false, reason: reason.toInfo(), server }
    }
    try {
      const who = await withRemote((remote) => sessionOf(remote))
      if (who.serverAdmin) return { codes: true, reason: null, server }
      const reason = AppError.withRef(
        'FORBIDDEN',
        `Team sync signs in as ${who.user ?? '?'}, who is not a server admin and cannot create the invitee's CouchDB user: the invitation will carry no code (sign in to team sync as a server admin to send codes)`,
        { key: 'team.code.notAdmin', params: { user: who.user ?? '?' } },
      )
      return { codes: false, reason: reason.toInfo(), server }
    } catch (e) {
      return { codes: false, reason: asAppError(e, 'sign in').toInfo(), server }
    }
  }

  /** A CouchDB user name from an email address's local part: lower case, letters, digits, '.', '_' and '-' only. */
  function userNameFrom(email: string): string {
    const local = (email.split('@')[0] ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-._]+|[-._]+$/g, '')
      .slice(0, 40)
    return local || 'invitee'
  }

  const userDocPath = (name: string): string => `/_users/${encodeURIComponent(`org.couchdb.user:${name}`)}`
  /** A one-time password: 24 random bytes, never written anywhere but the server's `_users` (hashed there) and the email. */
  const freshPassword = (): string => randomBytes(24).toString('base64url')

  /**
   * The saved settings must sign in to the account's server: `_users` is the server's, whichever database team sync
   * uses there now, and another server's user cannot be reached. Compared as remote.ts writes them (a trailing '/' or
   * upper-case host is the same server).
   */
  function sameServer(doc: SyncSettingsDoc | null, account: InviteeAccount): SyncSettingsDoc {
    const server = (url: string): string => remoteUrl(url, account.database).server
    if (doc && server(doc.url) === server(account.url)) return doc
    if (!doc) {
      throw AppError.withRef(
        'CONFLICT',
        `The invitee's CouchDB user ${account.user} is on ${account.url}, and team sync is not set up on this computer: set up team sync on that server as a server admin, or remove the user there yourself`,
        { key: 'team.account.noServer', params: { user: account.user, url: account.url } },
      )
    }
    throw AppError.withRef(
      'CONFLICT',
      `The invitee's CouchDB user ${account.user} is on ${account.url}, and team sync now uses ${doc.url}: set team sync back to that server, or remove the user there yourself`,
      { key: 'team.account.otherServer', params: { user: account.user, url: account.url, current: doc.url } },
    )
  }

  /**
   * Only a server admin may delete another user (docs/wire/couchdb-sync.md §7); signed in as anyone else, the server's
   * refusal (or a 404 for a user this session may not see) would pass for done. Asked before anything is removed.
   */
  async function assertServerAdmin(remote: Remote, account: InviteeAccount): Promise<void> {
    const who = await sessionOf(remote).catch((e: unknown) => {
      throw asAppError(e, 'sign in')
    })
    if (who.serverAdmin) return
    const signedIn = who.user ?? '?'
    throw AppError.withRef(
      'FORBIDDEN',
      `Removing ${account.user} from ${account.url} needs a server admin, and team sync signs in there as ${signedIn}: sign in to team sync as a server admin, or remove the user there yourself`,
      { key: 'team.account.notAdmin', params: { user: account.user, url: account.url, signedIn } },
    )
  }

  async function accountRequest(remote: Remote, path: string, init: { method?: string; body?: unknown }, what: string): Promise<{ status: number; body: Record<string, unknown> }> {
    try {
      return await serverJson(remote, path, init)
    } catch (e) {
      throw asAppError(e, what)
    }
  }

  async function settingsOrThrow(): Promise<SyncSettingsDoc> {
    const doc = await readSyncSettings(db)
    if (!doc) throw notConfigured()
    return doc
  }

  async function withRemote<T>(fn: (remote: Remote, doc: SyncSettingsDoc) => Promise<T>): Promise<T> {
    const doc = await settingsOrThrow()
    const remote = openRemote(doc.url, doc.database, await authOf(doc))
    try {
      return await fn(remote, doc)
    } finally {
      await remote.close().catch(() => undefined)
    }
  }

  /**
   * Whether settings about to be saved lead to a team database this computer can sync with: the server answers as
   * CouchDB and Cloudant do at `GET /` (`{"couchdb": "Welcome", …}`), takes the credentials (`GET /_session`), and holds
   * the database, or lets this user create it (a server admin; an IAM key's rights are IAM's, so setup finds out).
   * Each failure is thrown as the error the sync itself would meet at every start; nothing is written here.
   */
  async function checkServer(remote: Remote, doc: Pick<SyncSettingsDoc, 'auth' | 'database'>): Promise<void> {
    const root = await accountRequest(remote, '/', {}, 'answer')
    if (root.status === 401) throw remoteRefusal(root.status, root.body, 'sign in')
    if (root.status >= 500) throw serverDown(root.status)
    if (root.status !== 200 || root.body.couchdb !== 'Welcome') throw notCouch({ reason: `no CouchDB welcome at ${new URL(remote.serverUrl).origin}/` })
    const who = await sessionOf(remote).catch((e: unknown) => {
      throw asAppError(e, 'sign in')
    })
    const info = await accountRequest(remote, `/${encodeURIComponent(doc.database)}`, {}, 'read the database')
    if (info.status === 200) {
      if (typeof info.body.db_name === 'string') return
      throw notCouch({ reason: `no description of the database ${doc.database}` })
    }
    if (info.status === 404 && (who.serverAdmin || doc.auth === 'iam')) return
    throw remoteRefusal(info.status, info.body, 'read the database')
  }

  /**
   * `GET /` answered 5xx: no CouchDB answered, only what stands in front of it (a proxy or load balancer whose CouchDB is
   * down answers 502 or 503), so a save may pass over it as over no answer (`offline`). Only at `GET /`: a 5xx further
   * on comes from a server that did answer as CouchDB.
   */
  function serverDown(status: number): AppError {
    return AppError.withRef(
      'NETWORK',
      `The team sync server answered HTTP ${status} instead of CouchDB (a proxy or load balancer whose CouchDB is down answers so), so the settings were not saved. Try again once CouchDB answers; to save them all the same, use --offline (in the app: "Save even if the server cannot be reached")`,
      { key: 'sync.check.serverDown', params: { status } },
    )
  }

  /** No CouchDB answered (no HTTP status, or a 5xx at `GET /`): the failures a save may be told to pass over (`offline`). */
  function unanswered(e: AppError): boolean {
    const key = e.details?.ref?.key
    return key === 'sync.offline' || key === 'sync.check.serverDown'
  }

  /**
   * The form field a refused save is about, named in the refusal (`params.field`) so the window shows it there and puts
   * the focus on it: the secret for a refused sign-in, the database for one missing or refused, else the server URL.
   */
  function aboutField(e: AppError, input: SaveRequest): AppError {
    const ref = e.details?.ref
    if (!ref) return e
    const field = ref.key === 'sync.unauthorized' ? (input.auth === 'iam' ? 'secrets.apiKey' : 'secrets.password') : ref.key === 'sync.noDatabase' || ref.key === 'sync.forbidden' ? 'database' : 'url'
    return new AppError(e.code, e.message, { ...e.details, ref: { ...ref, params: { ...ref.params, field } } })
  }

  /**
   * A save that changes where or as whom the sync signs in is checked with the server first (checkServer); a server
   * that does not answer refuses it too unless `offline` is set, and then it is saved and the reason returned. Anything
   * else (the same server and account, what is shared, starting with the workspace) is saved unchecked: it cannot break
   * what the server already takes.
   */
  async function checkedSave(input: SaveRequest): Promise<ErrorInfo | null> {
    const existing = await readSyncSettings(db)
    const secretGiven = typeof input.secrets.password === 'string' || typeof input.secrets.apiKey === 'string'
    const sameAccount =
      existing !== null &&
      existing.url === input.url &&
      existing.database === input.database &&
      existing.auth === input.auth &&
      existing.username === input.username &&
      (input.auth !== 'iam' || existing.iamUrl === input.iamUrl)
    if (sameAccount && !secretGiven) return null
    const remote = openRemote(input.url, input.database, await authOf(input, input.secrets))
    try {
      await checkServer(remote, input)
      return null
    } catch (e) {
      const error = asAppError(e, 'answer')
      const ref = error.details?.ref
      // A 5xx at GET / says so in its own words (serverDown) when it refuses the save.
      if (!unanswered(error) || (input.offline !== true && ref?.key === 'sync.check.serverDown')) throw aboutField(error, input)
      const reason = typeof ref?.params?.status === 'number' ? `HTTP ${ref.params.status}` : String(ref?.params?.reason ?? error.message)
      if (input.offline !== true) {
        const unreachable = AppError.withRef(
          'NETWORK',
          `The team sync server cannot be reached (${reason}), so the settings were not saved. Check the server URL and the network; to save them all the same on a computer out of the server's reach, use --offline (in the app: "Save even if the server cannot be reached")`,
          { key: 'sync.check.unreachable', params: { reason } },
        )
        throw aboutField(unreachable, input)
      }
      return AppError.withRef('NETWORK', `Saved without checking: the team sync server cannot be reached (${reason})`, { key: 'sync.check.savedUnchecked', params: { reason } }).toInfo()
    } finally {
      await remote.close().catch(() => undefined)
    }
  }

  /** Turns a failed request (PouchDB's plain objects, fetch's TypeError) into what the operator is told. */
  function asAppError(e: unknown, what: string): AppError {
    if (isAppError(e)) return e
    const f = (e ?? {}) as PouchFailure
    if (typeof f.status === 'number' && f.status > 0) return remoteRefusal(f.status, { reason: reasonOf(f) }, what)
    return answeredNotAsCouch(f) ? notCouch(f) : offline(f)
  }

  async function session(remote: Remote): Promise<{ user: string | null; role: SyncRole | null }> {
    const { user, role } = await sessionOf(remote)
    return { user, role }
  }

  /**
   * The sync's own records (the last sync, refusals, conflicting revisions), written as replication events come and
   * waited for by a stop: `sync start --once` stops and exits right after 'live', and without the wait its last sync
   * could be lost, so that the next start took itself for a first sync and the status said "never".
   */
  const recording = new Set<Promise<void>>()
  function record(write: Promise<unknown>, failure: string): void {
    const done: Promise<void> = write.then(
      () => undefined,
      (e: unknown) => logger?.warn({ error: String(e) }, failure),
    )
    recording.add(done)
    void done.finally(() => recording.delete(done))
  }

  /**
   * One refusal per revision. PouchDB saves its checkpoint after a batch, so a stop that comes between them makes the
   * next start push the refused revision again, and the server refuses it again: that is the same refusal, which keeps
   * its time and is counted once.
   */
  async function recordDenied(e: PouchFailure): Promise<void> {
    const id = String(e.id ?? '?')
    const rev = e.rev ?? (await getOrNull<BaseDoc>(db, id))?._rev
    const entry: SyncDenied = { id, ...(rev ? { rev } : {}), reason: reasonOf(e), at: now().toISOString() }
    const { state, written } = await updateSyncState(db, (s) => {
      if (rev && s.denied.find((d) => d.id === id)?.rev === rev) return UNCHANGED
      // What a discard wrote (discard.ts): the server refusing it is that discard working, not a change refused. The
      // server's refusal names no revision, and on a document discarded for a role the server refuses, the gate lets
      // nothing else be written, so every refusal of it is one of those.
      if (s.discarded?.[id] && (e.rev === undefined || s.discarded[id].revs.includes(e.rev))) return UNCHANGED
      s.denied = [entry, ...s.denied.filter((d) => d.id !== entry.id)].slice(0, MAX_DENIED)
      s.deniedTotal++
    })
    if (!written) return
    logger?.warn({ id: entry.id, reason: entry.reason }, 'the sync server refused a document')
    publish({ denied: state.denied.slice(0, SHOWN_DENIED), deniedTotal: state.deniedTotal }, true)
  }

  /**
   * Revisions a pull brought in that now stand in conflict are "theirs"; a pulled document whose conflict is gone
   * (resolved on another computer) is forgotten. Either way the views showing conflicts are told, as they and the trash
   * are when a pulled document is one deleted here (a teammate's edit may have brought it back: deleted-here.ts).
   */
  async function recordTheirs(docs: { _id: string; _rev?: string }[]): Promise<void> {
    const [{ conflicted, settled }, trashed] = await Promise.all([conflictsAmong(db, docs), trashedAmong(db, docs)])
    if (trashed > 0) bus.emit('trash:changed', {})
    const known = await theirs()
    const gone = settled.filter((id) => id in known)
    if (conflicted.length > 0 || gone.length > 0) {
      await updateSyncState(db, (s) => {
        for (const [id, rev] of conflicted) s.theirs[id] = [...new Set([...(s.theirs[id] ?? []), rev])]
        for (const id of gone) delete s.theirs[id]
      })
    }
    if (conflicted.length > 0 || gone.length > 0 || trashed > 0) bus.emit('sync:conflicts', { total: conflicted.length + trashed })
  }

  /**
   * A restored version (discard) shows the server's version until the server sends a newer one: then it is deleted,
   * so that the server's revision is the document here, a deletion included, and no conflict is left behind.
   */
  async function giveWay(docs: { _id: string }[]): Promise<void> {
    const discarded = (await readSyncState(db)).discarded ?? {}
    const ids = [...new Set(docs.map((d) => d._id))].filter((id) => discarded[id]?.restored !== undefined)
    for (const id of ids) {
      const restored = discarded[id]!.restored!
      const leaf = (await leavesOf(db, id)).find((l) => l._rev === restored && !l._deleted)
      const tombstone = leaf ? tombstoneOf(leaf) : null
      // Remembered before it is written: the live push may offer it to the server at once.
      await updateSyncState(db, (s) => {
        const entry = s.discarded?.[id]
        if (!entry) return UNCHANGED
        delete entry.restored
        if (tombstone) entry.revs.push(tombstone._rev)
      })
      if (tombstone) assertBulkOk(await db.bulkDocs([tombstone], { new_edits: false }))
    }
  }

  /** See pendingAfterBatch: the source's latest sequence is the workspace's for a push, the server's for a pull. */
  async function pendingAfter(dir: 'push' | 'pull', c: ChangeInfo['change']): Promise<number | null> {
    if (dir === 'push') return pendingAfterBatch(c, await latestSeq(db))
    const remote = running?.remote
    if (!remote) return null
    remoteSeq ??= remoteInfo(remote).then((info) => seqNumber(info?.updateSeq))
    const pending = pendingAfterBatch(c, await remoteSeq)
    // Caught up with the sequence read: the next batch reads it again, since the server has moved on.
    if (pending === 0) remoteSeq = null
    return pending
  }

  function onChange(info: ChangeInfo): void {
    const dir = info.direction
    const c = info.change
    // The counters of a replication's 'change' event add up since it started (one start of the sync); `docs` is the batch.
    const docs = c.docs_written ?? status[dir].docs
    const change: Partial<SyncStatus> = { state: 'syncing', reason: null, [dir]: { docs, pending: status[dir].pending } }
    if (status.firstSync && dir === 'pull') {
      const first = status.firstSync
      const done = c.docs_read ?? first.docs
      const elapsed = (Date.now() - (running?.started ?? Date.now())) / 1000
      // The server's total not known yet: no total and no estimate, rather than the documents read so far as the total.
      const left = first.total === null ? null : Math.max(first.total - done, 0)
      change.firstSync = {
        batches: first.batches + 1,
        docs: done,
        total: first.total === null ? null : Math.max(first.total, done),
        secondsLeft: done > 0 && left !== null ? Math.round((elapsed / done) * left) : null,
      }
    }
    publish(change)
    pendingAfter(dir, c)
      .then((pending) => {
        // Counted after the batch: once both sides are up to date (live), nothing is pending, whatever the count says.
        if (running && status.state !== 'live') publish({ [dir]: { ...status[dir], pending } })
      })
      .catch((e: unknown) => logger?.warn({ error: String(e) }, 'could not count the pending changes'))
    if (dir === 'pull' && c.docs) {
      const docs = c.docs
      // A restored version gives way first, so that it is never taken for a conflict with what the server sent.
      record(
        giveWay(docs).then(() => recordTheirs(docs)),
        'could not record the revisions of a conflict',
      )
      if (docs.some((d) => DEVICE_VIEW_PREFIXES.some((p) => d._id.startsWith(p)))) devicesPulled.push({ reason: 'updated' })
      // A teammate's profile (a new one, an edit, a deletion) reaches the Extensions pages and pickers as a local save
      // does: they did not follow it (cold trial: a profile of a name already here arrived and nothing showed it).
      for (const extension of pulledProfileKinds(docs)) bus.emit('profiles:changed', { extension })
    }
  }

  /**
   * Each direction's last word: paused with or without an error, or active. The sync is live only when both have
   * paused without an error since it started; either one's error is the status (PouchDB's own sync-level 'paused'
   * drops the error, and fires before a direction has started).
   */
  const directions: Record<'push' | 'pull', { paused: boolean; error: PouchFailure | null }> = { push: { paused: false, error: null }, pull: { paused: false, error: null } }

  function settle(): void {
    const failed = directions.push.error ?? directions.pull.error
    if (failed) {
      const { state, reason } = pausedState(failed)
      publish({ state, reason: reason.toInfo() })
      return
    }
    if (!directions.push.paused || !directions.pull.paused) {
      publish({ state: 'syncing', reason: null })
      return
    }
    retries = 0
    const at = now().toISOString()
    publish({ state: 'live', reason: null, lastSyncAt: at, firstSync: null, push: { ...status.push, pending: 0 }, pull: { ...status.pull, pending: 0 } })
    record(
      updateSyncState(db, (s) => {
        s.lastSyncAt = at
      }),
      'could not write the sync state',
    )
  }

  function onPaused(direction: 'push' | 'pull', err: unknown): void {
    if (err) retries++
    directions[direction] = { paused: true, error: err ? (err as PouchFailure) : null }
    settle()
  }

  function onActive(direction: 'push' | 'pull'): void {
    directions[direction] = { paused: false, error: null }
    settle()
  }

  async function audit(entry: { action: string; target: string; after?: Record<string, unknown>; outcome?: 'ok' | 'failed'; error?: ErrorInfo }, actor: string): Promise<void> {
    // Activity names the team database the operator set up, not the server's address.
    const database = (await readSyncSettings(db))?.database
    await db.put(auditDoc({ outcome: 'ok', ...(database ? { subject: database } : {}), ...entry, actor }))
  }

  async function startSync(ctx: CallContext | null): Promise<SyncStatus> {
    if (running) return status
    const [doc, state] = await Promise.all([settingsOrThrow(), readSyncState(db)])
    const remote = openRemote(doc.url, doc.database, await authOf(doc))
    const mine = { remote, task: null as Cancellable | null, started: Date.now() }
    running = mine
    retries = 0
    remoteSeq = null
    status = {
      ...stoppedSyncStatus(true),
      state: 'syncing',
      lastSyncAt: state.lastSyncAt,
      firstSync: state.lastSyncAt === null ? { batches: 0, docs: 0, total: null, secondsLeft: null } : null,
      denied: state.denied.slice(0, SHOWN_DENIED),
      deniedTotal: state.deniedTotal,
      // The remembered role holds until the server says again, at this start.
      ...roleOf(state, doc),
    }
    // Who we are and how much a first sync has to take, asked beside the replication rather than before it, so a
    // start with nothing to do costs no extra round trips. Offline at start is fine: the live sync retries.
    const asked = session(remote)
    asked.catch(() => undefined)
    void (async () => {
      const who = await asked
      const role = await rememberRole(who.role, doc)
      const total = status.firstSync ? await remoteDocCount(remote) : null
      if (running?.remote !== remote) return
      publish({ ...role, ...(status.firstSync && total !== null ? { firstSync: { ...status.firstSync, total: Math.max(total, status.firstSync.docs) } } : {}) })
    })().catch((e: unknown) => logger?.info({ reason: asAppError(e, 'sync').message }, "team sync starts without the server's answer to who this computer's user is"))
    directions.push = { paused: false, error: null }
    directions.pull = { paused: false, error: null }
    const audited = async () => {
      if (ctx) await audit({ action: 'sync.start', target: remote.url, after: { database: doc.database, shares: doc.shares } }, ctx.actor)
    }
    if (!status.firstSync && withholdsAudit(state.role ?? null)) {
      // Withholding the audit trail on a role that no longer holds would skip entries for good (the checkpoint moves
      // past them), so the server is asked first; unanswered, everything is pushed (a refusal at worst, never a loss).
      void asked
        .then(
          (who) => who.role,
          () => null,
        )
        .then((role) => {
          if (running === mine) goLive(mine, doc.shares, role, undefined)
        })
      await audited()
    } else if (!status.firstSync) {
      goLive(mine, doc.shares, state.role ?? null, undefined)
      await audited()
    } else {
      // Written before the one-shot replications measure the workspace's sequence (pulledAlone).
      await audited()
      void firstSync(mine, doc.shares, asked).then(
        ({ role, pushSince }) => {
          if (running === mine) goLive(mine, doc.shares, role, pushSince)
        },
        (e: unknown) => {
          logger?.info({ reason: asAppError(e, 'sync').message }, 'the first sync goes on as a live sync')
          if (running === mine) goLive(mine, doc.shares, null, undefined)
        },
      )
    }
    publish({}, true)
    return status
  }

  /** The live sync retries an unreachable server, backing off from backOff.minMs to backOff.maxMs. */
  function backOffDelay(delay: number): number {
    return delay === 0 ? backOff.minMs : Math.min(delay * 2, backOff.maxMs)
  }

  type DocFilter = (doc: { _id: string }) => boolean

  function onDenied(e: PouchFailure): void {
    record(recordDenied(e), 'could not record a refused document')
  }

  /**
   * What is pushed: the shared groups, less the audit trail when the role may not write it (a viewer). The server would
   * refuse every such entry, and the operator would see a refusal for each of the viewer's own local actions (a saved
   * search, a job) beside the one refusal that matters. The filter's text, hence the checkpoint, is the same either way;
   * entries made as a viewer are not pushed later under another role, as the server refused them then.
   */
  function pushFilter(shares: readonly SyncShare[], role: SyncRole | null): DocFilter {
    return replicationFilter(withholdsAudit(role) ? shares.filter((share) => share !== 'audit') : shares)
  }

  function withholdsAudit(role: SyncRole | null): boolean {
    return role !== null && !ROLE_WRITES[role].includes('audit')
  }

  /** The live sync, both ways; a first sync that pulled alone starts its push after what it pulled (pulledAlone). */
  function goLive(mine: NonNullable<typeof running>, shares: readonly SyncShare[], role: SyncRole | null, pushSince: number | undefined): void {
    const push = { filter: pushFilter(shares, role), ...(pushSince === undefined ? {} : { since: pushSince }) }
    const handler = db.sync(mine.remote.db, { ...batching, live: true, retry: true, back_off_function: backOffDelay, filter: replicationFilter(shares), push })
    mine.task = handler
    for (const direction of ['push', 'pull'] as const) {
      handler[direction].on('paused', (err) => onPaused(direction, err)).on('active', () => onActive(direction))
    }
    handler
      .on('change', (info) => onChange(info as unknown as ChangeInfo))
      // Sync wraps the refusal: { direction, doc: the server's row { id, error, reason } }.
      .on('denied', (e) => onDenied((e as { doc: PouchFailure }).doc))
      .on('error', (e) => {
        publish({ state: 'error', reason: asAppError(e, 'sync').toInfo() })
      })
  }

  /** One one-shot replication of a first sync, reporting like the live sync's direction; rejects when it fails. */
  async function oneShot(mine: NonNullable<typeof running>, direction: 'push' | 'pull', filter: DocFilter): Promise<PouchDB.ReplicationResult> {
    const once = { ...batching, filter }
    const replication = direction === 'push' ? db.replicate.to(mine.remote.db, once) : db.replicate.from(mine.remote.db, once)
    mine.task = replication
    replication.on('change', (change) => onChange({ direction, change } as unknown as ChangeInfo)).on('denied', (e) => onDenied(e as PouchFailure))
    return replication
  }

  /**
   * A first sync (docs/wire/couchdb-sync.md §5): a one-shot push of what this computer holds, a one-shot pull, then the
   * live sync. Started live at once, the push side reads every pulled document back out of the workspace and asks the
   * server about each (revs_diff), though the server just sent them. Resolves with the sequence the live push may start
   * after, or undefined when something else wrote meanwhile (that write is then pushed like any other). The role is
   * asked first: nothing has been pushed yet, and what is pushed depends on it (pushFilter).
   */
  async function firstSync(
    mine: NonNullable<typeof running>,
    shares: readonly SyncShare[],
    asked: Promise<{ role: SyncRole | null }>,
  ): Promise<{ role: SyncRole | null; pushSince: number | undefined }> {
    const { role } = await asked
    const before = await latestSeq(db)
    if (running !== mine) return { role, pushSince: undefined }
    await oneShot(mine, 'push', pushFilter(shares, role))
    if (running !== mine) return { role, pushSince: undefined }
    const pull = await oneShot(mine, 'pull', replicationFilter(shares))
    const after = await latestSeq(db)
    return { role, pushSince: pulledAlone(before, after, pull) ? after : undefined }
  }

  async function stopSync(): Promise<void> {
    const current = running
    if (!current) return
    running = null
    const task = current.task
    if (task) {
      const done = new Promise<void>((resolve) => task.on('complete', () => resolve()))
      task.cancel()
      // Not unref'd: a replication that had already ended (the server refused us) never says 'complete' again, and a
      // CLI with nothing else left to wait for would exit in the middle of this stop (code 13, "unsettled top-level
      // await") instead of printing its status.
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))])
    }
    await current.remote.close().catch(() => undefined)
    // Records started by the last events (cancelling can bring more) are in the workspace before a stop returns.
    while (recording.size > 0) await Promise.all(recording)
    publish({ state: 'stopped', reason: null, firstSync: null }, true)
  }

  async function stoppedStatus(): Promise<SyncStatus> {
    const [state, settings] = await Promise.all([readSyncState(db), readSyncSettings(db)])
    return {
      ...stoppedSyncStatus(settings !== null),
      lastSyncAt: state.lastSyncAt,
      denied: state.denied.slice(0, SHOWN_DENIED),
      deniedTotal: state.deniedTotal,
      ...roleOf(state, settings),
    }
  }

  /**
   * Saves the settings (the secrets into the vault first) with their audit entry in one write; a running sync restarts
   * with them. A join (joinTeam) saves through here too, under its own action.
   */
  async function writeSettings(input: Omit<SyncSaveInput, 'offline'>, actor: string, audit: { action: string; after?: Record<string, unknown> }): Promise<SyncSettingsView> {
    // Refuses a URL credentials must not go to before anything is stored.
    remoteUrl(input.url, input.database)
    if (input.auth === 'iam') remoteUrl(input.iamUrl, input.database)
    const existing = await readSyncSettings(db)
    const secretFields = new Set<SyncSecret>(existing?.secretFields ?? [])
    for (const field of ['password', 'apiKey'] as const) {
      const value = input.secrets[field]
      if (value === null) secretFields.delete(field)
      else if (value !== undefined) secretFields.add(field)
    }
    const next = newSyncSettingsDoc({
      url: input.url,
      database: input.database,
      auth: input.auth,
      username: input.username,
      iamUrl: input.iamUrl,
      shares: [...new Set(input.shares)],
      autoStart: input.autoStart,
      secretFields: [...secretFields].sort(),
      updatedAt: now().toISOString(),
    })
    const saved = { ...next, ...(existing ? { _rev: existing._rev } : {}) }
    const entry = auditDoc({
      actor,
      action: audit.action,
      target: AUDIT_TARGET,
      subject: input.database,
      outcome: 'ok',
      ...(existing ? { before: settingsSummary(existing) } : {}),
      after: { ...settingsSummary(next), ...audit.after },
    })
    /** What the keychain held before this save, for each secret it changes: put back when the settings are not written. */
    const replaced = new Map<SyncSecret, string | null>()
    try {
      for (const field of ['password', 'apiKey'] as const) {
        const value = input.secrets[field]
        if (value === undefined) continue
        replaced.set(field, await vault.get(syncSecretAccount(field)))
        await (value === null ? vault.clear(syncSecretAccount(field)) : vault.set(syncSecretAccount(field), value))
      }
      assertBulkOk(await db.bulkDocs([saved, entry] as never[]))
    } catch (e) {
      // A failed save changes nothing: the saved settings (and a running sync) still sign in with the secret they had.
      await restoreSecrets(replaced)
      throw e
    }
    // A role belongs to one user on one database: another one is not known until that server says.
    const sameAccount = existing !== null && existing.url === next.url && existing.database === next.database && existing.auth === next.auth && existing.username === next.username
    if (!sameAccount) {
      await updateSyncState(db, (s) => {
        s.role = null
        s.roleAsOf = null
      })
    }
    if (running) {
      await stopSync()
      await startSync(null)
    } else {
      // What the role may change depends on what is shared: the views are told at once.
      bus.emit('sync:status', await stoppedStatus())
    }
    return view(next)
  }

  async function restoreSecrets(replaced: ReadonlyMap<SyncSecret, string | null>): Promise<void> {
    for (const [field, value] of replaced) {
      const account = syncSecretAccount(field)
      await (value === null ? vault.clear(account) : vault.set(account, value)).catch((e: unknown) =>
        logger?.error({ field, reason: asAppError(e, 'sync').message }, 'the team sync secret could not be put back after a failed save'),
      )
    }
  }

  /** The vault entry of a join under way: the new password and what it is for, from before the server takes it. */
  const JOINING_ACCOUNT = syncSecretAccount('joining')
  interface KeptJoin {
    url: string
    database: string
    user: string
    password: string
  }

  function joinSpent(): AppError {
    return AppError.withRef('AUTH_FAILED', `The team server refused this invitation code: it has been used already or the invitation was revoked. Ask for a new invitation`, {
      key: 'sync.join.spent',
    })
  }

  /** The server may have the new password (it is kept in the vault): the same code joined again finishes the join. */
  function joinUnfinished(cause: AppError): AppError {
    return AppError.withRef('UNKNOWN_OUTCOME', `Joining did not finish (${cause.message}): join again with the same code to finish it`, {
      key: 'sync.join.unfinished',
      params: { reason: cause.message },
    })
  }

  /** The new password an earlier join of this code's user kept, or null (none, or one for another user or server). */
  async function keptJoin(code: InvitationCode): Promise<string | null> {
    const raw = await vault.get(JOINING_ACCOUNT)
    if (raw === null) return null
    let kept: Partial<KeptJoin>
    try {
      kept = JSON.parse(raw) as Partial<KeptJoin>
    } catch {
      return null
    }
    const same = kept.url === code.url && kept.database === code.database && kept.user === code.user
    return same && typeof kept.password === 'string' ? kept.password : null
  }

  /** Whether the server takes `password` for the code's user; 401 is no, anything else that fails is thrown. */
  async function signsIn(code: InvitationCode, password: string): Promise<boolean> {
    const remote = openRemote(code.url, code.database, { kind: 'basic', username: code.user, password })
    try {
      await sessionOf(remote)
      return true
    } catch (e) {
      const error = asAppError(e, 'sign in')
      if (error.details?.ref?.key !== 'sync.unauthorized') throw error
      // Replaced or removed since (a revocation): of no use any more.
      await vault.clear(JOINING_ACCOUNT).catch(() => undefined)
      return false
    } finally {
      await remote.close().catch(() => undefined)
    }
  }

  /**
   * The rest of a join once the server has the new password: the role, then the settings (the password into the vault
   * under its own name) with their audit entry. Until the settings are written the kept password stays, so that a
   * failure here can be finished by joining again.
   */
  async function finishJoin(code: InvitationCode, password: string, existing: SyncSettingsDoc | null, ctx: CallContext): Promise<SyncJoinResult> {
    let role: SyncRole | null
    let saved: SyncSettingsView
    try {
      const signedIn = openRemote(code.url, code.database, { kind: 'basic', username: code.user, password })
      try {
        role = (await sessionOf(signedIn)).role
      } catch (e) {
        throw asAppError(e, 'sign in')
      } finally {
        await signedIn.close().catch(() => undefined)
      }
      saved = await writeSettings(
        {
          url: code.url,
          database: code.database,
          auth: 'basic',
          username: code.user,
          iamUrl: existing?.iamUrl ?? 'https://iam.cloud.ibm.com',
          shares: existing?.shares ?? [...DEFAULT_SYNC_SHARES],
          autoStart: existing?.autoStart ?? false,
          secrets: { password, apiKey: null },
        },
        ctx.actor,
        { action: 'sync.join', after: { role } },
      )
    } catch (e) {
      if (isAppError(e)) throw joinUnfinished(e)
      throw e
    }
    await vault.clear(JOINING_ACCOUNT).catch((e: unknown) => logger?.warn({ reason: asAppError(e, 'sync').message }, 'the password of a finished join stays in the keychain'))
    const remembered = await rememberRole(role, await settingsOrThrow())
    if (running) publish(remembered, true)
    else bus.emit('sync:status', await stoppedStatus())
    return { url: saved.url, database: saved.database, user: code.user, role }
  }

  async function theirs(): Promise<Record<string, string[]>> {
    return (await readSyncState(db)).theirs
  }

  return {
    async getSettings(): Promise<SyncSettingsView> {
      return view(await readSyncSettings(db))
    },

    async saveSettings(input: SaveRequest, ctx: CallContext): Promise<SyncSaved> {
      // Refuses a URL credentials must not go to before the server is asked anything.
      remoteUrl(input.url, input.database)
      if (input.auth === 'iam') remoteUrl(input.iamUrl, input.database)
      const unchecked = await checkedSave(input)
      const { offline: _offline, ...settings } = input
      const view = await writeSettings(settings, ctx.actor, { action: 'sync.saveSettings', ...(unchecked ? { after: { checked: false } } : {}) })
      return { ...view, unchecked }
    },

    async verify() {
      return withRemote(async (remote, doc) => {
        let who: { user: string | null; role: SyncRole | null }
        try {
          who = await session(remote)
        } catch (e) {
          throw asAppError(e, 'sign in')
        }
        const role = await rememberRole(who.role, doc)
        // The views follow the role a verification reads, whether the sync runs or not.
        if (running) publish(role, true)
        else bus.emit('sync:status', await stoppedStatus())
        try {
          return { ...who, docCount: await remoteDocCount(remote) }
        } catch (e) {
          throw asAppError(e, 'read the database')
        }
      })
    },

    async setup(ctx: CallContext) {
      return withRemote(async (remote, doc) => {
        try {
          // Only a server admin may create a database; a database admin (role administrator) may re-run the rest.
          const exists = await serverJson(remote, `/${encodeURIComponent(doc.database)}`)
          let created = false
          if (exists.status === 404) {
            const put = await serverJson(remote, `/${encodeURIComponent(doc.database)}`, { method: 'PUT' })
            // 412: created meanwhile by someone else, which is what setup wants.
            if (put.status !== 201 && put.status !== 202 && put.status !== 412) throw remoteRefusal(put.status, put.body, 'create the database')
            created = put.status !== 412
          } else if (exists.status !== 200) {
            throw remoteRefusal(exists.status, exists.body, 'read the database')
          } else if (typeof exists.body.db_name !== 'string') {
            // CouchDB and Cloudant name the database they describe; a web server answering 200 to everything does not,
            // and setup went on to "answered HTTP 200 when asked to write the validation".
            throw notCouch({ reason: `GET /${doc.database} answered 200 without the database's description` })
          }
          const security = await serverJson(remote, '_security')
          if (security.status !== 200) throw remoteRefusal(security.status, security.body, 'read the database security')
          const securityWritten = JSON.stringify(security.body) !== JSON.stringify(TEAM_SECURITY)
          if (securityWritten) {
            const res = await serverJson(remote, '_security', { method: 'PUT', body: TEAM_SECURITY })
            if (res.status !== 200) throw remoteRefusal(res.status, res.body, 'write the database security')
          }
          const design = await serverJson(remote, ROLES_DESIGN_ID)
          const validationWritten = design.status === 404 || design.body.validate_doc_update !== VALIDATE_DOC_UPDATE
          if (validationWritten) {
            const body = { _id: ROLES_DESIGN_ID, ...(design.status === 200 ? { _rev: design.body._rev } : {}), validate_doc_update: VALIDATE_DOC_UPDATE }
            const res = await serverJson(remote, ROLES_DESIGN_ID, { method: 'PUT', body })
            if (res.status !== 201 && res.status !== 202) throw remoteRefusal(res.status, res.body, 'write the validation')
          }
          const result = { created, securityWritten, validationWritten }
          await audit({ action: 'sync.setup', target: remote.url, after: result }, ctx.actor)
          return result
        } catch (e) {
          const error = asAppError(e, 'set up the database')
          await audit({ action: 'sync.setup', target: remote.url, outcome: 'failed', error: error.toInfo() }, ctx.actor).catch(() => undefined)
          throw error
        }
      })
    },

    /** Whether invitations can carry a code now, and why not (see accountsCheck). */
    inviteCheck: accountsCheck,

    /**
     * Creates the invitee's CouchDB user with the invited role and a fresh one-time password, and returns the code that
     * carries it. The name is the one chosen, or comes from the email address, where a name already taken gets a number;
     * no existing user is ever overwritten (a PUT without a revision is refused with 409 when the user exists).
     */
    async createInvitee(email: string, role: SyncRole, chosen?: string): Promise<{ account: InviteeAccount; code: string }> {
      return withRemote(async (remote, doc) => {
        const base = chosen ?? userNameFrom(email)
        // A chosen name is that name or nothing: another one would not be what the operator told the invitee.
        for (let n = 1; n <= (chosen ? 1 : 20); n++) {
          const user = n === 1 ? base : `${base}-${n}`
          const password = freshPassword()
          const res = await accountRequest(
            remote,
            userDocPath(user),
            { method: 'PUT', body: { _id: `org.couchdb.user:${user}`, name: user, type: 'user', roles: [role], password } },
            'create the user',
          )
          if (res.status === 409) continue
          if (res.status !== 201 && res.status !== 202) throw remoteRefusal(res.status, res.body, 'create the user')
          const account = { url: doc.url, database: doc.database, user }
          return { account, code: encodeInvitationCode({ ...account, password, auth: 'basic' }) }
        }
        if (chosen) {
          throw AppError.withRef(
            'CONFLICT',
            `The team server already has a user named ${chosen}: choose another name`,
            { key: 'team.account.nameTaken', params: { user: chosen } },
            { issues: [{ path: 'user', message: 'is taken' }] },
          )
        }
        throw AppError.withRef('CONFLICT', `Every CouchDB user name tried for ${email} is taken`, { key: 'team.account.namesTaken', params: { email } })
      })
    },

    /**
     * A new one-time password for an invitee who has not joined yet (a resend: the old code stops working). One who has
     * joined holds their own password, which a resend must not take from them. A user removed on the server meanwhile
     * is created again.
     */
    async renewInvitee(account: InviteeAccount, role: SyncRole): Promise<{ code: string }> {
      return withRemote(async (remote, doc) => {
        sameServer(doc, account)
        const current = await accountRequest(remote, userDocPath(account.user), {}, 'read the user')
        if (current.status !== 200 && current.status !== 404) throw remoteRefusal(current.status, current.body, 'read the user')
        if (current.status === 200 && current.body.fieldline_joined_at) {
          throw AppError.withRef('CONFLICT', `${account.user} has already joined the team with this invitation: there is nothing to send again`, {
            key: 'team.account.joined',
            params: { user: account.user },
          })
        }
        const password = freshPassword()
        const body = { ...(current.status === 200 ? current.body : {}), _id: `org.couchdb.user:${account.user}`, name: account.user, type: 'user', roles: [role], password }
        const res = await accountRequest(remote, userDocPath(account.user), { method: 'PUT', body }, 'change the user')
        if (res.status !== 201 && res.status !== 202) throw remoteRefusal(res.status, res.body, 'change the user')
        return { code: encodeInvitationCode({ ...account, password, auth: 'basic' }) }
      })
    },

    /**
     * Whether the invitee joined with their code, and when: `join` writes `fieldline_joined_at` into their user as it
     * spends the code (docs/wire/couchdb-sync.md §7). A user gone from the server has not joined (a revocation says the
     * rest); any other answer, or none, is thrown, for the caller to ask again later.
     */
    async inviteeJoined(account: InviteeAccount): Promise<{ joined: boolean; at: string | null }> {
      return withRemote(async (remote, doc) => {
        sameServer(doc, account)
        const current = await accountRequest(remote, userDocPath(account.user), {}, 'read the user')
        if (current.status === 404) return { joined: false, at: null }
        if (current.status !== 200) throw remoteRefusal(current.status, current.body, 'read the user')
        const at = current.body.fieldline_joined_at
        return at ? { joined: true, at: typeof at === 'string' ? at : null } : { joined: false, at: null }
      })
    },

    /**
     * Deletes the invitee's CouchDB user, so that neither the code nor a session that joined with it signs in any more
     * (docs/wire/couchdb-sync.md §7), on the account's own server as its server admin, or refuses saying which server
     * it needs (sameServer, assertServerAdmin). Already gone (404) is what a revocation wants. Any other answer, or no answer,
     * is thrown: the revocation must not claim what did not happen.
     */
    async removeInvitee(account: InviteeAccount): Promise<{ removed: boolean }> {
      sameServer(await readSyncSettings(db), account)
      return withRemote(async (remote) => {
        await assertServerAdmin(remote, account)
        const current = await accountRequest(remote, userDocPath(account.user), {}, 'read the user')
        if (current.status === 404) return { removed: false }
        if (current.status !== 200) throw remoteRefusal(current.status, current.body, 'read the user')
        const res = await accountRequest(remote, `${userDocPath(account.user)}?rev=${encodeURIComponent(String(current.body._rev))}`, { method: 'DELETE' }, 'remove the user')
        if (res.status !== 200 && res.status !== 202) throw remoteRefusal(res.status, res.body, 'remove the user')
        return { removed: true }
      })
    },

    /**
     * Joins the team an invitation code names: signs in with its one-time password, replaces that password with a new
     * random one (which spends the code), reads the role the server gives, and saves the settings with their audit
     * entry. A code already used or revoked is refused by the server (401) before anything changes.
     *
     * The new password goes into the vault, with the code's server, database and user, before the server is asked to
     * take it: a join that stops after that (the keychain refusing the settings' password, the settings not written,
     * the process killed, the server's answer lost) leaves it there, and the same code joined again finds that the
     * server took it (the code refused, the kept password signing in) and finishes the join.
     */
    async join(input: { code: string; replace: boolean }, ctx: CallContext): Promise<SyncJoinResult> {
      const code = parseInvitationCode(input.code)
      remoteUrl(code.url, code.database)
      const existing = await readSyncSettings(db)
      if (existing && !input.replace) {
        throw AppError.withRef('CONFLICT', `Team sync is already set up on this computer (${existing.url}, ${existing.database}): joining replaces it (confirm, or --replace)`, {
          key: 'sync.join.replace',
          params: { url: existing.url, database: existing.database },
        })
      }
      const remote = openRemote(code.url, code.database, { kind: 'basic', username: code.user, password: code.password })
      try {
        let who: { user: string | null }
        try {
          who = await sessionOf(remote)
        } catch (e) {
          const error = asAppError(e, 'sign in')
          if (error.details?.ref?.key !== 'sync.unauthorized') throw error
          // Spent: by an earlier join of this code on this computer that did not finish, or by someone else.
          const kept = await keptJoin(code)
          if (kept === null || !(await signsIn(code, kept))) throw joinSpent()
          return await finishJoin(code, kept, existing, ctx)
        }
        if (who.user !== code.user) {
          throw AppError.withRef('VALIDATION', `The server at ${code.url} does not know this invitation's user: the code is for another team server`, {
            key: 'sync.join.wrongServer',
            params: { url: code.url },
          })
        }
        const info = await remoteInfo(remote).catch((e: unknown) => {
          throw asAppError(e, 'read the database')
        })
        if (info === null) {
          throw AppError.withRef('NOT_FOUND', `The team database ${code.database} does not exist on ${code.url}: ask the person who invited you`, {
            key: 'sync.join.noDatabase',
            params: { database: code.database, url: code.url },
          })
        }
        const own = await accountRequest(remote, userDocPath(code.user), {}, 'read your user')
        if (own.status !== 200) throw own.status === 401 ? joinSpent() : remoteRefusal(own.status, own.body, 'read your user')
        const password = freshPassword()
        // Kept before the server takes it: a computer without a keychain learns so before the code is spent, and a join
        // that stops after the server's answer can be finished (see above).
        await vault.set(JOINING_ACCOUNT, JSON.stringify({ url: code.url, database: code.database, user: code.user, password } satisfies KeptJoin))
        let put: { status: number; body: Record<string, unknown> }
        try {
          // The user's own document, as read, with a new password: a user may change their password but not their roles.
          put = await serverJson(remote, userDocPath(code.user), { method: 'PUT', body: { ...own.body, password, fieldline_joined_at: now().toISOString() } })
        } catch (e) {
          // No answer: the server may have taken the password all the same; the kept one tells on the next try.
          throw joinUnfinished(asAppError(e, 'change your password'))
        }
        if (put.status !== 201 && put.status !== 202) {
          // Refused: the code is as it was, and the kept password is of no use.
          await vault.clear(JOINING_ACCOUNT).catch(() => undefined)
          throw put.status === 401 ? joinSpent() : remoteRefusal(put.status, put.body, 'change your password')
        }
        return await finishJoin(code, password, existing, ctx)
      } finally {
        await remote.close().catch(() => undefined)
      }
    },

    async start(ctx: CallContext): Promise<SyncStatus> {
      return startSync(ctx)
    },

    async stop(ctx: CallContext): Promise<SyncStatus> {
      if (running) {
        const url = running.remote.url
        await stopSync()
        await audit({ action: 'sync.stop', target: url }, ctx.actor)
      }
      return status
    },

    async status(): Promise<SyncStatus> {
      return running ? status : stoppedStatus()
    },

    /** Every document in conflict (the first `limit` of them), or only the device's and its draft's. */
    async conflicts(limit: number, device?: DeviceKey): Promise<{ items: SyncConflict[]; total: number }> {
      if (device) {
        const ids = [deviceDocId(device), draftDocId(device)]
        const [edited, deleted] = await Promise.all([conflictsOf(db, ids, await theirs()), deletedHereAmong(db, ids)])
        return { items: [...deleted, ...edited.items], total: deleted.length + edited.total }
      }
      const doc = await readSyncSettings(db)
      // Without settings every group is looked at: conflicts can only come from an earlier sync.
      const prefixes = sharedPrefixes(doc?.shares ?? ['devices', 'profiles', 'packages', 'audit', 'teamSettings', 'drafts', 'caches'])
      // Deleted here and edited by a teammate first: the deletion the operator saw acknowledged is undone until they choose.
      const deleted = await deletedHereConflicts(db, prefixes)
      const edited = await listConflicts(db, prefixes, await theirs(), Math.max(0, limit - deleted.length))
      return { items: [...deleted.slice(0, limit), ...edited.items], total: deleted.length + edited.total }
    },

    async resolve(input: { id: string; keep: Keep }, ctx: CallContext) {
      // Keeping a side writes a new revision: a change the role may not make is refused here as anywhere.
      deps.gate?.check([{ _id: input.id }])
      const known = (await theirs())[input.id]
      const undeleted = await resolveDeletedHere(db, input.id, input.keep, ctx.actor)
      if (undeleted) bus.emit('trash:changed', {})
      const result = undeleted ?? (await resolveConflict(db, input.id, input.keep, known, ctx.actor))
      await updateSyncState(db, (s) => {
        delete s.theirs[input.id]
      })
      bus.emit('sync:conflicts', { total: 0 })
      if (DEVICE_VIEW_PREFIXES.some((p) => input.id.startsWith(p))) bus.emit('devices:changed', { reason: 'updated' })
      return result
    },

    /**
     * Discards this computer's unsent change to a shared document (discard.ts): removed here when the server never had
     * it, the server's version again when it has one. Only for a document the server refused, or whose group it refuses
     * this role: anything else is sent by the sync. Asks the server what it has, so the server must be reachable.
     * Audited (the entry stays on this computer when the role may not write the trail). A removed document's secrets
     * leave this workspace's keychain names (trash/removed-secrets.ts).
     */
    async discard(id: string, ctx: CallContext): Promise<{ id: string; outcome: 'removed' | 'reverted' }> {
      const share = shareOfId(id)
      if (share === undefined) throw AppError.withRef('VALIDATION', `${id} is not a document team sync shares`, { key: 'sync.discard.notShared', params: { id } })
      const before = await readSyncState(db)
      if (!before.denied.some((d) => d.id === id) && (deps.gate?.refusing(share) ?? null) === null) {
        throw AppError.withRef('VALIDATION', `The team server has not refused ${id}, and takes this role's changes to it: the sync sends it, there is nothing to discard`, {
          key: 'sync.discard.notRefused',
          params: { id },
        })
      }
      return withRemote(async (remote) => {
        let server: Leaf[]
        let unsent: Set<string>
        let local: Leaf[]
        try {
          server = await leavesOf(remote.db, id)
          // The server's own revisions first, as a pull would bring them: they are what stays.
          if (server.length > 0) assertBulkOk(await db.bulkDocs(server, { new_edits: false }))
          local = await leavesOf(db, id)
          const diff = local.length > 0 ? await remote.db.revsDiff({ [id]: local.map((l) => l._rev) }) : {}
          // What an earlier discard wrote is not a change to discard.
          const written = new Set(before.discarded?.[id]?.revs ?? [])
          unsent = new Set((diff[id]?.missing ?? []).filter((rev) => !written.has(rev)))
        } catch (e) {
          throw asAppError(e, 'read the document')
        }
        if (unsent.size === 0)
          throw AppError.withRef('VALIDATION', `The team server has every version of ${id} this computer has: there is nothing to discard`, { key: 'sync.discard.nothing', params: { id } })
        const mine = winnerOf(local)
        const tombstones = local.filter((l) => unsent.has(l._rev) && !l._deleted).map(tombstoneOf)
        const theirs = winnerOf(server)
        const live = theirs && !theirs._deleted ? theirs : undefined
        // The server's version is shown as it is when it is a leaf here; when it is an ancestor of the change, a child of it carries its body.
        const restored = live && !local.some((l) => l._rev === live._rev) ? restoredFrom(live) : undefined
        const at = now().toISOString()
        const database = (await readSyncSettings(db))?.database
        const entry = auditDoc({
          at,
          actor: ctx.actor,
          action: 'sync.discard',
          target: id,
          ...(database ? { subject: database } : {}),
          outcome: 'ok',
          ...(mine && !mine._deleted ? { before: bodyOf(mine) } : {}),
          ...(live ? { after: bodyOf(live) } : {}),
        })
        // Remembered before it is written: the live push may offer the new revisions to the server at once.
        const { state } = await updateSyncState(db, (s) => {
          const removed = s.denied.filter((d) => d.id === id).length
          s.denied = s.denied.filter((d) => d.id !== id)
          s.deniedTotal = Math.max(0, s.deniedTotal - removed)
          const kept = Object.entries(s.discarded ?? {}).filter(([other]) => other !== id)
          const revs = [...(s.discarded?.[id]?.revs ?? []), ...unsent, ...tombstones.map((t) => t._rev), ...(restored ? [restored._rev] : [])]
          s.discarded = Object.fromEntries([...kept.slice(-(MAX_DISCARDED - 1)), [id, { revs, ...(restored ? { restored: restored._rev } : {}) }]])
        })
        // One write with its audit entry; `new_edits: false` needs a revision, and the entry is new, so it takes a first one.
        const writes = [...tombstones, ...(restored ? [restored] : []), { ...entry, _rev: `1-${randomHex()}` }]
        assertBulkOk(await db.bulkDocs(writes as never[], { new_edits: false }))
        // A document the discard removed from this computer takes its secrets along (a local-only profile's keys would
        // stay in the keychain for good otherwise); the server's version, kept, still needs them.
        if (!live && mine && !mine._deleted) await clearRemovedSecrets({ db, vault, logger }, mine as SecretOwner)
        if (running) publish({ denied: state.denied.slice(0, SHOWN_DENIED), deniedTotal: state.deniedTotal }, true)
        else bus.emit('sync:status', await stoppedStatus())
        if (share === 'devices') bus.emit('devices:changed', { reason: live ? 'updated' : 'removed' })
        bus.emit('audit:changed', {})
        return { id, outcome: live ? 'reverted' : 'removed' }
      })
    },

    async clearDenied(ctx: CallContext): Promise<{ cleared: number }> {
      const before = await readSyncState(db)
      const cleared = before.denied.length
      await updateSyncState(db, (s) => {
        s.denied = []
        s.deniedTotal = 0
      })
      await audit({ action: 'sync.clearDenied', target: AUDIT_TARGET, after: { cleared } }, ctx.actor)
      publish({ denied: [], deniedTotal: 0 }, true)
      return { cleared }
    },

    /** Starts the sync when the operator asked for it to start with the workspace. */
    async autoStart(): Promise<void> {
      const doc = await readSyncSettings(db)
      if (doc?.autoStart) await startSync(null).catch((e: unknown) => logger?.warn({ reason: asAppError(e, 'sync').message }, 'team sync could not start with the workspace'))
    },

    /** Retries since the server was last reached (tests wait on it). */
    retries: () => retries,

    close: stopSync,
  }
}

export type SyncService = ReturnType<typeof createSyncService>
