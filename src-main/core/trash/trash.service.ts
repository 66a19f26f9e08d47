/**
 * The trash: deleted devices, profiles, packages, invitations and alert rules kept whole for TRASH_RETENTION_DAYS (the
 * services that delete write the trash document in the same bulkDocs call as the deletion and its audit entry).
 * Restoring puts the documents back under their own ids, so a device's audit history (by target) and a profile's vault
 * secrets (by account) are linked again at once; an alert rule comes back with its state (`_local`), so it does not
 * notify again what it had notified before. A profile's secrets leave the vault only when its entry is purged: emptied
 * by the operator, or older than the retention (checked at open and every hour).
 */
import { profileNameKey } from '../../../src-shared/models/profile-rules'
import type { TrashEntry } from '../../../src-shared/models/trash'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { EventBus } from '../common/events'
import type { Logger } from '../log/logger'
import { auditDoc } from '../store/audit.store'
import { getOrNull, type BaseDoc, type Db } from '../store/documents'
import { upgradeDoc } from '../store/migrations'
import { MIGRATIONS } from '../store/schema'
import { listTrashDocs, purgeAt, readTrashDoc, toTrashEntry, type TrashDoc } from '../store/trash.store'
import type { SecretStore } from '../vault/secret-store'
import { clearRemovedSecrets } from './removed-secrets'

export interface TrashDeps {
  db: Db
  vault: SecretStore
  bus: EventBus
  logger: Logger
  /** The clock purges are measured by (tests move it past the retention). */
  now?: () => Date
  /**
   * The ids of the trash documents whose document a teammate's edit brought back (team sync's sync/deleted-here.ts,
   * given by the composition root: the trash sits below the sync).
   */
  standingAgain?: (db: Db) => Promise<Set<string>>
}

/** How often an open workspace looks for entries past their retention. */
export const PURGE_INTERVAL_MS = 60 * 60 * 1000

type Stored = TrashDoc & { _rev: string }
interface ProfileLike extends BaseDoc {
  extension?: string
  name?: string
  isDefault?: boolean
  secretFields?: string[]
}
interface InvitationLike extends BaseDoc {
  email?: string
  state?: string
}

function notFound(id: string): AppError {
  return AppError.withRef('NOT_FOUND', `There is no trash entry ${id} (restored, emptied or purged already)`, { key: 'trash.notFound', params: { id } })
}

function keyTaken(entry: TrashEntry): AppError {
  return AppError.withRef('CONFLICT', `${entry.target} cannot be restored: something with the same ${entry.item} key exists now`, {
    key: 'trash.keyTaken',
    params: { target: entry.target },
  })
}

export function createTrashService({ db, vault, bus, logger, now = () => new Date(), standingAgain = async () => new Set<string>() }: TrashDeps) {
  let timer: NodeJS.Timeout | null = null
  let running: Promise<unknown> = Promise.resolve()

  function emitRestored(item: BaseDoc, kind: TrashDoc['item']): void {
    switch (kind) {
      case 'device':
        bus.emit('devices:changed', { reason: 'added' })
        break
      case 'profile':
        bus.emit('profiles:changed', { extension: (item as ProfileLike).extension as never })
        break
      case 'package':
        bus.emit('packages:changed', {})
        break
      case 'invitation':
        bus.emit('team:changed', {})
        break
      case 'alertRule':
        bus.emit('alerts:changed', {})
        break
    }
    bus.emit('trash:changed', {})
    bus.emit('audit:changed', {})
  }

  /**
   * A restored profile stays the default only if its extension has none now, and may not read as another of its kind
   * (profileNameKey, as profiles:save refuses); an active invitation may not duplicate one.
   */
  async function adjust(kind: TrashDoc['item'], item: BaseDoc, entry: TrashEntry): Promise<BaseDoc> {
    if (kind === 'profile') {
      const p = item as ProfileLike
      const prefix = `profile:${p.extension ?? ''}:`
      const page = await db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` })
      const name = p.name ?? ''
      const namesake = page.rows.map((r) => r.doc as ProfileLike | undefined).find((d) => profileNameKey(d?.name ?? '') === profileNameKey(name))
      if (namesake) {
        throw AppError.withRef('CONFLICT', `${entry.target} cannot be restored: another ${p.extension ?? ''} profile is named "${namesake.name ?? ''}" now`, {
          key: 'trash.profileNameTaken',
          params: { name, other: namesake.name ?? '' },
        })
      }
      const hasDefault = page.rows.some((r) => (r.doc as ProfileLike | undefined)?.isDefault === true)
      return { ...p, isDefault: page.rows.length === 0 ? true : p.isDefault === true && !hasDefault } as BaseDoc
    }
    if (kind === 'invitation') {
      const inv = item as InvitationLike
      if (inv.state === 'revoked') return item
      const page = await db.allDocs({ include_docs: true, startkey: 'invitation:', endkey: 'invitation:\ufff0' })
      const address = (inv.email ?? '').toLowerCase()
      if (page.rows.some((r) => (r.doc as InvitationLike | undefined)?.state !== 'revoked' && ((r.doc as InvitationLike | undefined)?.email ?? '').toLowerCase() === address)) {
        throw AppError.withRef('CONFLICT', `${entry.target} cannot be restored: ${inv.email ?? ''} has another invitation now`, {
          key: 'trash.invitationTaken',
          params: { target: entry.target },
        })
      }
    }
    return item
  }

  /**
   * Deletes trash documents for good, with one audit entry, then clears the vault secrets of the profiles among them
   * (after the workspace write: a keychain failure must not bring back an entry the operator emptied), unless the
   * profile lives again or can still come back (removed-secrets.ts).
   */
  async function purge(docs: Stored[], by: { actor: string; action: string }): Promise<number> {
    if (docs.length === 0) return 0
    const at = now().toISOString()
    const results = await db.bulkDocs([
      ...docs.map((d) => ({ _id: d._id, _rev: d._rev, _deleted: true }) as unknown as BaseDoc),
      auditDoc({
        ...by,
        at,
        target: 'trash',
        outcome: 'ok',
        detail: `${docs.length} item(s)`,
        before: docs.map((d) => ({ item: d.item, target: d.target, deletedAt: d.deletedAt })),
      }),
    ])
    const purged = docs.filter((_, i) => !('error' in results[i]! && results[i]!.error))
    for (const d of purged) if (d.item === 'profile') await clearRemovedSecrets({ db, vault, logger }, d.docs[0] as ProfileLike)
    bus.emit('trash:changed', {})
    bus.emit('audit:changed', {})
    if (purged.length < docs.length) {
      throw AppError.withRef('CONFLICT', `${docs.length - purged.length} trash entries changed meanwhile and were not purged; try again`, { key: 'trash.changed' })
    }
    return purged.length
  }

  /**
   * The entries that still say what they say: one whose document a teammate's edit brought back (team sync, a live
   * revision beats a deletion) is a sync conflict until the operator keeps the edit or deletes it again
   * (sync/deleted-here.ts), so the trash neither lists it as deleted nor purges it meanwhile.
   */
  async function standingEntries(): Promise<Stored[]> {
    const [docs, stale] = await Promise.all([listTrashDocs(db), standingAgain(db)])
    return docs.filter((d) => !stale.has(d._id))
  }

  async function purgeExpired(): Promise<number> {
    const cutoff = now().toISOString()
    const expired = (await standingEntries()).filter((d) => purgeAt(d) <= cutoff)
    return purge(expired, { actor: 'fieldline', action: 'trash.purge' })
  }

  return {
    async list(): Promise<{ items: TrashEntry[] }> {
      const docs = await standingEntries()
      return { items: docs.map(toTrashEntry).sort((a, b) => b.deletedAt.localeCompare(a.deletedAt) || a.id.localeCompare(b.id)) }
    },

    /** One bulkDocs call: the documents back, the trash entry gone, the audit entry under the item's own target. */
    async restore(id: string, ctx: CallContext): Promise<{ restored: TrashEntry }> {
      const doc = await readTrashDoc(db, id)
      if (!doc) throw notFound(id)
      const entry = toTrashEntry(doc)
      const [first, ...rest] = doc.docs.map((d) => upgradeDoc(d, MIGRATIONS))
      if (!first) throw notFound(id)
      if (await getOrNull(db, first._id)) throw keyTaken(entry)
      const item = await adjust(doc.item, first, entry)
      const companions: BaseDoc[] = []
      for (const d of rest) if (!(await getOrNull(db, d._id))) companions.push(d)
      const results = await db.bulkDocs([
        item,
        ...companions,
        { _id: doc._id, _rev: doc._rev, _deleted: true } as unknown as BaseDoc,
        auditDoc({ actor: ctx.actor, action: `${doc.item}.restore`, target: doc.target, subject: doc.label, outcome: 'ok', after: { trash: entry.id } }),
      ])
      const failed = (i: number): boolean => 'error' in results[i]! && Boolean(results[i]!.error)
      if (failed(0)) {
        // The key was taken between the check and the write; the entry must stay in the trash.
        if (!failed(1 + companions.length)) {
          const { _rev: _r, ...again } = doc
          await db.put(again)
        }
        throw keyTaken(entry)
      }
      if (results.some((_, i) => failed(i))) logger.warn({ trash: entry.id }, 'part of a restore was not written')
      emitRestored(item, doc.item)
      return { restored: entry }
    },

    async empty(ctx: CallContext): Promise<{ purged: number }> {
      return { purged: await purge(await standingEntries(), { actor: ctx.actor, action: 'trash.empty' }) }
    },

    purgeExpired,

    /** Purges what is past its retention now and then every PURGE_INTERVAL_MS; failures are logged, never thrown. */
    start(): void {
      const run = (): void => {
        running = purgeExpired().catch((e: unknown) => logger.warn({ err: e }, 'the trash could not be purged'))
      }
      run()
      timer = setInterval(run, PURGE_INTERVAL_MS)
      timer.unref()
    },

    /** Stops the hourly purge and waits for one under way, so the workspace is not closed under it. */
    async close(): Promise<void> {
      if (timer) clearInterval(timer)
      timer = null
      await running
    },
  }
}

export type TrashService = ReturnType<typeof createTrashService>
