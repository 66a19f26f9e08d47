import { profileNameKey } from '../../../src-shared/models/profile-rules'
import type { TrashEntry } from '../../../src-shared/models/trash'

/**
 * How the trash names an entry to the operator: a profile by its name, as its card and the Undo notice of its
 * deletion did (its `extension/id` target reads like nothing the operator typed), followed by that target only when
 * another profile in the trash reads alike (profileNameKey); anything else by its target.
 */
export function trashEntryName(entry: TrashEntry, entries: readonly TrashEntry[]): string {
  if (entry.item !== 'profile' || entry.label.trim() === '') return entry.target
  const key = profileNameKey(entry.label)
  const alike = entries.some((e) => e.id !== entry.id && e.item === 'profile' && profileNameKey(e.label) === key)
  return alike ? `${entry.label} (${entry.target})` : entry.label
}
