import { conflictName, type SyncConflict } from '../../../src-shared/models/sync'
import { hasMessage, wordFor, type Translate } from '../i18n'

type Version = SyncConflict['versions'][number]

export interface ConflictSides {
  mine: Version
  theirs: Version
}

/** A document kind in words (« Appareil », not "device"); a kind a newer teammate's Fieldline syncs keeps its name. */
export function conflictKindText(t: Translate, kind: string): string {
  return hasMessage(`sync.conflicts.kinds.${kind}`) ? wordFor(t, 'sync.conflicts.kinds', kind) : kind
}

/** A conflict as the operator knows the document ("meter / m-17", a profile's name), else by its kind: never its internal id. */
export function conflictTitle(t: Translate, conflict: SyncConflict): string {
  return conflictName(conflict) ?? conflictKindText(t, conflict.kind)
}

/**
 * This computer's version and the teammate's. When the core does not know which side wrote which (every version
 * came in by a first sync), the winner stands for "mine": both computers then show the same pair.
 */
export function conflictSides(conflict: SyncConflict): ConflictSides | null {
  const mine = conflict.versions.find((v) => v.side === 'mine') ?? conflict.versions.find((v) => v.winner)
  const theirs = conflict.versions.find((v) => v !== mine && v.side === 'theirs') ?? conflict.versions.find((v) => v !== mine)
  return mine && theirs ? { mine, theirs } : null
}

/** What sync:resolve is asked to keep: the side when the core knows it (the audit then says which), else the revision. */
export function keepOf(version: Version): 'mine' | 'theirs' | { rev: string } {
  return version.side === 'unknown' ? { rev: version.rev } : version.side
}

/** A version as the operator reads and merges it: indented JSON without the revision, which always differs. */
export function versionText(version: Version): string {
  const { _rev: _ignored, ...rest } = version.doc
  return JSON.stringify(rest, null, 2)
}

export interface FieldDifference {
  field: string
  mine: string
  theirs: string
}

const shown = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value))

/** The top-level fields whose values differ between the two versions, by name. */
export function fieldDifferences(sides: ConflictSides): FieldDifference[] {
  const fields = new Set([...Object.keys(sides.mine.doc), ...Object.keys(sides.theirs.doc)].filter((f) => f !== '_rev'))
  return [...fields]
    .filter((f) => JSON.stringify(sides.mine.doc[f]) !== JSON.stringify(sides.theirs.doc[f]))
    .sort()
    .map((field) => ({ field, mine: shown(sides.mine.doc[field]), theirs: shown(sides.theirs.doc[field]) }))
}
