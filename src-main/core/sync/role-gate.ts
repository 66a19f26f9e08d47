/**
 * What this computer may change of what it shares with the team, by the role the team server gives its user
 * (remembered while the sync is stopped). The server's validation (team-security.ts) refuses a viewer's every change and
 * an operator's to profiles and team settings; a change it refuses stays on this computer only, apart from the team for
 * good. So the core refuses such a change itself, before anything is saved, whatever asks for it: the window (whose
 * controls are off already), serve mode, the CLI.
 *
 * Two groups are left out: caches and the audit trail are written by the core on its own (a fetched SIM page, an
 * action's trail entry), not by the operator; the sync withholds a viewer's audit entries and reports what the server
 * refuses, as before. Replicated writes (`new_edits: false`: the sync's pull) are the server's own and always pass.
 */
import { shareOfId, type SyncRole, type SyncShare } from '../../../src-shared/models/sync'
import { AppError } from '../common/errors'
import type { Db } from '../store/documents'

const AUTOMATIC: readonly SyncShare[] = ['caches', 'audit']

export interface RoleGate {
  /** The role the sync service knows now and the groups the server refuses it (its status's `refused`). */
  set(role: SyncRole | null, refused: readonly SyncShare[]): void
  /** Throws FORBIDDEN when one of the documents belongs to a group the role may not change. */
  check(docs: readonly { _id?: string }[]): void
  /** The role when it may not change the group, else null: for work that would only write such changes. */
  refusing(share: SyncShare): SyncRole | null
}

export function createRoleGate(): RoleGate {
  let role: SyncRole | null = null
  let refused = new Set<SyncShare>()
  const refusing = (share: SyncShare): SyncRole | null => (role !== null && role !== 'administrator' && refused.has(share) ? role : null)
  return {
    set(next, shares) {
      role = next
      refused = new Set(shares.filter((share) => !AUTOMATIC.includes(share)))
    },
    refusing,
    check(docs) {
      for (const doc of docs) {
        const share = typeof doc._id === 'string' ? shareOfId(doc._id) : undefined
        if (share === undefined || refusing(share) === null) continue
        throw AppError.withRef(
          'FORBIDDEN',
          `Not changed: your role on the team server is ${role}, and the server would refuse this change to ${doc._id}, so it is not saved on this computer either (ask a team administrator for another role, or stop sharing this group)`,
          { key: `sync.role.notSaved.${role}` },
        )
      }
    },
  }
}

/**
 * The workspace as the services see it: the same database, whose writes (put, bulkDocs, remove) go through the
 * gate first. A refused write rejects with the gate's error and writes nothing, as a PouchDB refusal would.
 */
export function gateWrites(db: Db, gate: RoleGate): Db {
  const call = (name: 'put' | 'bulkDocs' | 'remove', args: unknown[]): unknown => Reflect.apply(Reflect.get(db, name) as (...a: unknown[]) => unknown, db, args)
  const checks: Record<string, (args: unknown[]) => void> = {
    put: ([doc]) => gate.check([doc as { _id?: string }]),
    bulkDocs: ([docs, options]) => {
      if ((options as { new_edits?: boolean } | undefined)?.new_edits === false) return
      gate.check(Array.isArray(docs) ? (docs as { _id?: string }[]) : (docs as { docs: { _id?: string }[] }).docs)
    },
    remove: ([docOrId]) => gate.check([typeof docOrId === 'string' ? { _id: docOrId } : (docOrId as { _id?: string })]),
  }
  const writes = new Map<PropertyKey, (...args: unknown[]) => unknown>(
    (['put', 'bulkDocs', 'remove'] as const).map((name) => [
      name,
      (...args: unknown[]) => {
        try {
          checks[name]?.(args)
        } catch (e) {
          // PouchDB's writes answer with a promise: a refusal is a rejection, never a throw at the call.
          return Promise.reject(e)
        }
        return call(name, args)
      },
    ]),
  )
  return new Proxy(db, {
    get(target, prop) {
      const write = writes.get(prop)
      if (write) return write
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
