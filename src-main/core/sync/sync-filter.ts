/**
 * What team sync carries, by document id prefix. Ids are namespaced (`device:…`, `profile:…`), and a deletion is a
 * tombstone that carries only its id, so deciding by id shares a deletion exactly like the document it deletes.
 *
 * Never shared whatever is chosen: `_local/` documents (replication skips them anyway), design documents (the server's
 * validation lives there), and this computer's own queues and caches not listed here (mail outbox, carrier tickets,
 * ledger items and forwarder, historian history cache).
 */
import { idHasPrefix, SHARE_PREFIXES, type SyncShare } from '../../../src-shared/models/sync'

/** The prefixes of the chosen groups, in a fixed order: the filter's text is part of PouchDB's checkpoint id. */
export function sharedPrefixes(shares: readonly SyncShare[]): string[] {
  return Object.entries(SHARE_PREFIXES)
    .filter(([share]) => shares.includes(share as SyncShare))
    .flatMap(([, prefixes]) => prefixes)
}

export function isShared(id: string, prefixes: readonly string[]): boolean {
  if (id.startsWith('_')) return false
  return prefixes.some((p) => idHasPrefix(id, p))
}

/** The replication filter for both directions: what a teammate shares beyond our choice is not taken in either. */
export function replicationFilter(shares: readonly SyncShare[]): (doc: { _id: string }) => boolean {
  const prefixes = sharedPrefixes(shares)
  return (doc) => isShared(doc._id, prefixes)
}
