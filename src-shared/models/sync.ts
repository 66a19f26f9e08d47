/**
 * Team sync: the workspace replicated live to a CouchDB or Cloudant database (docs/wire/couchdb-sync.md). Spread into
 * src-shared/contract.ts (`...syncChannels`, `...syncEvents`).
 *
 * What is shared is chosen by group; each group is a set of document id prefixes (the core's sync-filter.ts), so a
 * deletion, which carries only its id, is shared like the document it deletes. Secrets are never in documents (they are
 * in each computer's vault), and `_local/` documents (this machine's settings, sync state, import state) never replicate.
 *
 * Rates: 'sync:status' at most once a second while a sync runs, and on each state change.
 */
import { z } from 'zod'
import { deviceKeySchema } from './device-id'
import { errorInfoSchema } from './errors'
import { COUCH_DB_NAME } from './historian'
import { byteLimitedString, MAX_EDITOR_TEXT_BYTES } from './limits'
import { INVITATION_PREFIX } from './mail'

/**
 * - devices: device documents (their configuration, metadata, location, supported packages);
 * - profiles: extension profiles without their secrets;
 * - packages: custom device-management packages;
 * - audit: the audit trail;
 * - teamSettings: mail and weather settings and invitations (their keys and passwords stay in the vault);
 * - drafts: unsaved configuration edits (off unless the operator shares them);
 * - caches: cached SIM, usage and weather readings (off unless chosen).
 */
export const SYNC_SHARES = ['devices', 'profiles', 'packages', 'audit', 'teamSettings', 'drafts', 'caches'] as const
export const syncShareSchema = z.enum(SYNC_SHARES)
export type SyncShare = z.infer<typeof syncShareSchema>
export const DEFAULT_SYNC_SHARES: readonly SyncShare[] = ['devices', 'profiles', 'packages', 'audit', 'teamSettings']

/**
 * Each group's document id prefixes (a prefix without a trailing ':' is a whole id). The core's replication filter
 * carries these; the renderer gates a control by the group of the document it writes.
 */
export const SHARE_PREFIXES: Readonly<Record<SyncShare, readonly string[]>> = {
  devices: ['device:'],
  profiles: ['profile:'],
  packages: ['package:'],
  audit: ['audit:'],
  teamSettings: ['mail:settings', 'weather:settings', INVITATION_PREFIX],
  drafts: ['draft:'],
  caches: ['cache:'],
}

export function idHasPrefix(id: string, prefix: string): boolean {
  return prefix.endsWith(':') ? id.startsWith(prefix) : id === prefix
}

/** The group a document belongs to by its id, or undefined when no group carries it (`_local/`, design documents, this computer's queues). */
export function shareOfId(id: string): SyncShare | undefined {
  if (id.startsWith('_')) return undefined
  return SYNC_SHARES.find((share) => SHARE_PREFIXES[share].some((p) => idHasPrefix(id, p)))
}

/** 'basic': a CouchDB user name and password; 'iam': an IBM Cloud API key exchanged for IAM tokens (Cloudant). */
export const syncAuthSchema = z.enum(['basic', 'iam'])

const urlSchema = z.string().trim().min(1).max(300)
const secretValue = z.string().min(1).max(4096).nullable()
export const syncDatabaseSchema = z.string().trim().min(1).max(238).regex(COUCH_DB_NAME, { message: 'must start with a lower-case letter, then lower-case letters, digits or _ $ ( ) + - /' })

/** A value sets or replaces a secret, null clears it, absent leaves it as it is. */
export const syncSaveSchema = z
  .object({
    url: urlSchema,
    database: syncDatabaseSchema,
    auth: syncAuthSchema.default('basic'),
    username: z.string().trim().max(200).default(''),
    iamUrl: urlSchema.default('https://iam.cloud.ibm.com'),
    shares: z
      .array(syncShareSchema)
      .max(SYNC_SHARES.length)
      .default([...DEFAULT_SYNC_SHARES]),
    /** Start the live sync when the workspace opens. */
    autoStart: z.boolean().default(false),
    secrets: z.object({ password: secretValue.optional(), apiKey: secretValue.optional() }).strict().default({}),
    /**
     * Settings that change where or as whom the sync signs in are checked with the server before anything is saved; a
     * server that does not answer at all refuses the save too, unless this is set (an operator configuring a computer
     * out of the server's reach). A server that answers and refuses is never saved over.
     */
    offline: z.boolean().default(false),
  })
  .strict()
export type SyncSaveInput = z.output<typeof syncSaveSchema>

export const syncSettingsViewSchema = z.object({
  configured: z.boolean(),
  url: z.string(),
  database: z.string(),
  auth: syncAuthSchema,
  username: z.string(),
  iamUrl: z.string(),
  shares: z.array(syncShareSchema),
  autoStart: z.boolean(),
  secrets: z.object({ password: z.boolean(), apiKey: z.boolean() }),
  updatedAt: z.string().nullable(),
})
export type SyncSettingsView = z.infer<typeof syncSettingsViewSchema>

/** What a save returns: the settings, and why the server was not checked when they were saved unchecked (`offline`). */
export const syncSavedSchema = syncSettingsViewSchema.extend({ unchecked: errorInfoSchema.nullable() })
export type SyncSaved = z.infer<typeof syncSavedSchema>

/** The roles the team database knows (setup's `_security` and validation), strongest first. */
export const SYNC_ROLES = ['administrator', 'operator', 'viewer'] as const
export const syncRoleSchema = z.enum(SYNC_ROLES)
export type SyncRole = z.infer<typeof syncRoleSchema>

/**
 * The groups each role may write on the team server: the server's validation (core/sync/team-security.ts) is built from
 * this, and the UI turns off the controls that change the others. Operators only add audit entries, which is all
 * Fieldline ever does with them.
 */
export const ROLE_WRITES: Readonly<Record<SyncRole, readonly SyncShare[]>> = {
  administrator: SYNC_SHARES,
  operator: ['devices', 'drafts', 'packages', 'caches', 'audit'],
  viewer: [],
}

/** The shared groups the server refuses this role's changes to (none when the role is not known). */
export function refusedShares(role: SyncRole | null, shares: readonly SyncShare[]): SyncShare[] {
  if (role === null) return []
  return SYNC_SHARES.filter((share) => shares.includes(share) && !ROLE_WRITES[role].includes(share))
}

/**
 * - stopped: not running;
 * - syncing: documents are moving (the first sync, or changes on either side);
 * - live: both sides up to date, listening for changes;
 * - offline: the server cannot be reached; retrying with back-off;
 * - error: the server refuses this computer (credentials, access), with the reason; retrying too, since an administrator may fix it.
 */
export const SYNC_STATES = ['stopped', 'syncing', 'live', 'offline', 'error'] as const
export const syncStateSchema = z.enum(SYNC_STATES)
export type SyncState = z.infer<typeof syncStateSchema>

export const syncDeniedSchema = z.object({
  id: z.string(),
  /** The revision refused, when known: the same revision refused again is the same refusal. */
  rev: z.string().optional(),
  /** The server's own reason (its validation function's message). */
  reason: z.string(),
  at: z.string(),
})
export type SyncDenied = z.infer<typeof syncDeniedSchema>

const directionSchema = z.object({
  /** Documents replicated this way since the sync started. */
  docs: z.number().int(),
  /** Changes the other side still has to take, when the source says (null: not known). */
  pending: z.number().int().nullable(),
})

export const syncStatusSchema = z.object({
  /** Whether this computer has team sync settings: without them the sync is not "stopped" but not set up at all. */
  configured: z.boolean(),
  state: syncStateSchema,
  reason: errorInfoSchema.nullable(),
  /** When both sides were last seen up to date. */
  lastSyncAt: z.string().nullable(),
  push: directionSchema,
  pull: directionSchema,
  /**
   * Until the first catch-up is done: batches so far, documents of the server's total, and an estimate of the time left.
   * `total` is null until the server has said how many documents it holds (not answered yet, or it refused the
   * credentials): 0 would read as a server with nothing to pull (« 0 documents sur 0 »).
   */
  firstSync: z.object({ batches: z.number().int(), docs: z.number().int(), total: z.number().int().nullable(), secondsLeft: z.number().nullable() }).nullable(),
  /** Documents the server refused (never retried): the newest first, at most 200. */
  denied: z.array(syncDeniedSchema),
  deniedTotal: z.number().int(),
  /**
   * The role the server last gave this computer's user, and when it said so: remembered in the workspace (never
   * synced), so it holds while the sync is stopped, and read again at each start.
   */
  role: syncRoleSchema.nullable(),
  roleAsOf: z.string().nullable(),
  /** The shared groups the server refuses this role's changes to: the UI turns their changing controls off. */
  refused: z.array(syncShareSchema),
})
export type SyncStatus = z.infer<typeof syncStatusSchema>

/** The status of a sync that is stopped, nothing known yet (a new object each time: the caller may change it). */
export function stoppedSyncStatus(configured: boolean): SyncStatus {
  return {
    configured,
    state: 'stopped',
    reason: null,
    lastSyncAt: null,
    push: { docs: 0, pending: null },
    pull: { docs: 0, pending: null },
    firstSync: null,
    denied: [],
    deniedTotal: 0,
    role: null,
    roleAsOf: null,
    refused: [],
  }
}

export const syncVerifySchema = z.object({
  /** The user the server says this is, and the team role it holds. */
  user: z.string().nullable(),
  role: syncRoleSchema.nullable(),
  /** The database's document count, or null when it does not exist yet (setup creates it). */
  docCount: z.number().int().nullable(),
})

export const syncSetupSchema = z.object({
  created: z.boolean(),
  securityWritten: z.boolean(),
  validationWritten: z.boolean(),
})

const revSchema = z.string().max(200)

export const syncConflictVersionSchema = z.object({
  rev: z.string(),
  /** Which side wrote it, when this computer saw the conflict arrive ('theirs' came in by replication). */
  side: z.enum(['mine', 'theirs', 'unknown']),
  winner: z.boolean(),
  doc: z.record(z.string(), z.unknown()),
})

/**
 * The kinds of the documents the groups carry (SHARE_PREFIXES), those a conflict can be about: the window names each
 * in its language (test/renderer/i18n.test.ts checks both catalogues have its words).
 */
export const SYNCED_KINDS = ['device', 'profile', 'package', 'audit', 'mailSettings', 'weatherSettings', 'invitation', 'draft', 'cache'] as const

export const syncConflictSchema = z.object({
  id: z.string(),
  kind: z.string(),
  /**
   * Deleted on this computer while a teammate edited it: the edit won (a live revision beats a deletion) and the
   * trash entry written here says so. Keep theirs drops the stale trash entry; keep mine deletes it again.
   */
  deletedHere: z.object({ trashId: z.string(), deletedAt: z.string(), deletedBy: z.string() }).optional(),
  versions: z.array(syncConflictVersionSchema),
})
export type SyncConflict = z.infer<typeof syncConflictSchema>

/** A device as its operator names it, type then device ID ("meter / m-17"), from its document id (`device:<type>:<id>`). */
function deviceName(docId: string): string | null {
  const [prefix, typeId, ...rest] = docId.split(':')
  return prefix === 'device' && typeId && rest.length > 0 ? `${typeId} / ${rest.join(':')}` : null
}

/**
 * What the operator calls the document in conflict, rather than its internal id: a device by type and device ID ("meter
 * / m-17"), its editor draft likewise, a profile by its name, a package by its bundle id, an invitation by the person
 * invited. Read from the winning version, which every computer shows alike. Null for a document with no name of its
 * own (email or weather settings, cached data, an activity entry): the window then names its kind, the CLI its id.
 */
export function conflictName(conflict: SyncConflict): string | null {
  const doc = (conflict.versions.find((v) => v.winner) ?? conflict.versions[0])?.doc ?? {}
  const text = (field: string): string | null => {
    const value = doc[field]
    return typeof value === 'string' && value.trim() !== '' ? value : null
  }
  switch (conflict.kind) {
    case 'device':
      return deviceName(conflict.id)
    case 'draft':
      return deviceName(conflict.id.slice('draft:'.length))
    case 'profile':
      return text('name')
    case 'package':
      return text('bundleId')
    case 'invitation': {
      const name = text('name')
      const email = text('email')
      return name && email ? `${name} <${email}>` : (name ?? email)
    }
    default:
      return null
  }
}

const docIdSchema = z.string().min(1).max(512)

export const syncResolveSchema = z
  .object({
    id: docIdSchema,
    /**
     * Keep this computer's version, the teammate's, one named revision, or a merge the operator wrote in the editor
     * (the document's JSON; its `_id` and `kind` must stay those of the document).
     */
    keep: z.union([z.enum(['mine', 'theirs']), z.object({ rev: revSchema }).strict(), z.object({ merged: byteLimitedString(MAX_EDITOR_TEXT_BYTES) }).strict()]),
  })
  .strict()

/** A pasted invitation code: far above a real one (about 250 characters), far below what a paste box should hold. */
export const MAX_INVITATION_CODE = 2000

export const syncJoinSchema = z
  .object({
    /** The code from the invitation email (core/sync/invitation-code.ts); spent by the join. */
    code: z.string().min(1).max(MAX_INVITATION_CODE),
    /** Joining replaces team sync settings this computer already has only when this says so. */
    replace: z.boolean().default(false),
  })
  .strict()

export const syncJoinResultSchema = z.object({
  url: z.string(),
  database: z.string(),
  user: z.string(),
  /** The role the server gives the new user (null: none of the team's roles). */
  role: syncRoleSchema.nullable(),
})
export type SyncJoinResult = z.infer<typeof syncJoinResultSchema>

const nothing = z.object({}).strict()

export const syncChannels = {
  'sync:getSettings': { input: nothing, output: syncSettingsViewSchema },
  /** Saves the settings (secrets into the vault); audited. A running sync restarts with them. */
  /** Checks the server first when where or as whom the sync signs in changes (syncSaveSchema `offline`); nothing saved on a refusal. */
  'sync:saveSettings': { input: syncSaveSchema, output: syncSavedSchema },
  /** Signs in with the saved settings and reads the database: who we are, our role, how many documents. */
  'sync:verify': { input: nothing, output: syncVerifySchema },
  /** Creates the database, its `_security` and validation (an administrator's credentials); idempotent; audited. */
  'sync:setup': { input: nothing, output: syncSetupSchema },
  /** Joins the team an invitation code names: saves the settings, spends the code; audited. Nothing saved on failure. */
  'sync:join': { input: syncJoinSchema, output: syncJoinResultSchema },
  /** Starts the live sync (retrying while the server is away); audited. */
  'sync:start': { input: nothing, output: syncStatusSchema },
  'sync:stop': { input: nothing, output: syncStatusSchema },
  'sync:status': { input: nothing, output: syncStatusSchema },
  'sync:conflicts': {
    input: z
      .object({
        limit: z.number().int().min(1).max(1000).default(100),
        /** Only the conflicts of this device's document and its unsaved draft (its page). */
        device: deviceKeySchema.strict().optional(),
      })
      .strict(),
    output: z.object({ items: z.array(syncConflictSchema), total: z.number().int() }),
  },
  /** Keeps one version and removes the others in one write with its audit entry. */
  'sync:resolve': { input: syncResolveSchema, output: z.object({ id: z.string(), rev: z.string(), removed: z.array(z.string()) }) },
  /**
   * Discards this computer's unsent change to a document the server refused (or whose group it refuses this role):
   * removed here when the server never had it ('removed'), the server's version again when it has one ('reverted').
   * Writes nothing the server takes; needs the server, to ask what it has. Audited.
   */
  'sync:discard': { input: z.object({ id: docIdSchema }).strict(), output: z.object({ id: z.string(), outcome: z.enum(['removed', 'reverted']) }) },
  /** Forgets the list of denied documents (they stay refused by the server). Audited. */
  'sync:clearDenied': { input: nothing, output: z.object({ cleared: z.number().int() }) },
} as const

export const syncEvents = {
  'sync:status': syncStatusSchema,
  /** Conflicts appeared or were resolved. */
  'sync:conflicts': z.object({ total: z.number().int() }),
} as const
