import type { BaseDoc, Db } from './documents'
import { upgradeDoc } from './migrations'
import type { Migration } from './schema'

function isDoc(value: unknown): value is BaseDoc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === 'string'
}

/**
 * The workspace as every module reads it: `get` and `allDocs` return documents upgraded to today's schema.
 *
 * Start-up migrations are not enough: team sync replicates documents in from teammates still on an older release,
 * after this workspace recorded its migrations as applied, and those documents are never migrated in place. Reading
 * through one seam upgrades them wherever they are read, and a module that writes one back writes it at today's
 * version. Every other method (writes, replication, info) is the database's own, so replication and backups carry
 * documents exactly as stored.
 */
export function upgradeOnRead(db: Db, migrations: readonly Migration[]): Db {
  const upgrade = (value: unknown): unknown => (isDoc(value) ? upgradeDoc(value, migrations) : value)
  const get = async (...args: unknown[]): Promise<unknown> => upgrade(await Reflect.apply(db.get, db, args))
  const allDocs = async (...args: unknown[]): Promise<unknown> => {
    const page = (await Reflect.apply(db.allDocs, db, args)) as { rows: { doc?: unknown }[] }
    const rows = page.rows.map((row) => {
      const doc = upgrade(row.doc)
      return doc === row.doc ? row : { ...row, doc }
    })
    return { ...page, rows }
  }
  return new Proxy(db, {
    get(target, property) {
      if (property === 'get') return get
      if (property === 'allDocs') return allDocs
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
