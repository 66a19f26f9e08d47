/**
 * Discarding this computer's unsent change to a shared document (docs/wire/couchdb-sync.md §8): the change the team
 * server refused, or could not have taken (a device created here before this computer joined as a viewer), goes, and
 * the document is the server's again: gone when the server never had it, its version when it has one.
 *
 * PouchDB's LevelDB adapter has no purge, and a revision this computer writes as an edit is sent to the server, which
 * refuses it again. So the discard writes the server's kind of revisions, as a replication does (`new_edits: false`,
 * which the role gate lets through): a deletion under each unsent revision, and, where the server's version is an
 * ancestor of the unsent change (its body is no longer kept here), a child of it with its body. Those revisions carry
 * nothing of the discarded change; the sync still offers them to the server, which refuses them from a role that may
 * not write the group, and the sync does not list those refusals (sync.service.ts `recordDenied`).
 */
import { randomBytes } from 'node:crypto'
import type { BaseDoc, Db } from '../store/documents'

/** A revision with its history, as `get(id, { open_revs, revs: true })` returns it. */
export interface Leaf extends BaseDoc {
  _rev: string
  _deleted?: boolean
  _revisions: { start: number; ids: string[] }
}

/** The leaf revisions of a document (deleted ones included), none when the database never had it. */
export async function leavesOf(db: Pick<Db, 'get'>, id: string): Promise<Leaf[]> {
  try {
    const rows = await db.get(id, { open_revs: 'all', revs: true })
    return rows.flatMap((row) => ('ok' in row ? [row.ok as Leaf] : []))
  } catch (e) {
    if ((e as { status?: number }).status === 404) return []
    throw e
  }
}

/** PouchDB's and CouchDB's winner: a live revision before a deleted one, then the longest history, then the larger id. */
export function winnerOf(leaves: readonly Leaf[]): Leaf | undefined {
  const rank = (l: Leaf): [number, number, string] => [l._deleted ? 0 : 1, l._revisions.start, l._revisions.ids[0] ?? '']
  return [...leaves].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)]
    return rb[0] - ra[0] || rb[1] - ra[1] || (rb[2] < ra[2] ? -1 : rb[2] > ra[2] ? 1 : 0)
  })[0]
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** A child revision of `parent`; `prefix` starts its hash (a restored version's '0000' loses a tie with a real one). */
function child(parent: Leaf, prefix = ''): { rev: string; revisions: { start: number; ids: string[] } } {
  const hash = prefix + hex(16).slice(prefix.length)
  const start = parent._revisions.start + 1
  return { rev: `${start}-${hash}`, revisions: { start, ids: [hash, ...parent._revisions.ids] } }
}

/** The deletion of a leaf, written under it. */
export function tombstoneOf(leaf: Leaf): Leaf {
  const c = child(leaf)
  return { _id: leaf._id, _rev: c.rev, _deleted: true, _revisions: c.revisions } as Leaf
}

/**
 * The server's version as a child of itself, for when it is an ancestor of the discarded change here. Its hash starts
 * with zeros so that the server's next revision, at the same depth, wins even before this one gives way.
 */
export function restoredFrom(server: Leaf): Leaf {
  const { _rev: _r, _revisions: _h, _deleted: _d, ...body } = server
  const c = child(server, '0000')
  return { ...body, _rev: c.rev, _revisions: c.revisions } as Leaf
}
