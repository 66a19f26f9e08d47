/**
 * The role the team server gives this computer's user, turned into the state of every control that changes something.
 * The server's validation refuses a role's changes to some shared groups (ROLE_WRITES: a viewer changes nothing, an
 * operator not profiles nor team settings); the core says which in the sync status, remembered while the sync is
 * stopped. A control that changes such a group is disabled, and described by the one sentence that says why
 * (ROLE_NOTE_ID, in RoleBanner), so the reason is read where the control is and seen at the top of every page.
 *
 * Controls whose documents never reach the server (saved searches, alert rules, bulk jobs, SIM and mbed actions, the
 * trash's own entries) stay on: the server refuses none of them.
 */
import type { SyncShare, SyncStatus } from '../../../../src-shared/models/sync'
import { teamSyncStatus } from './team-sync.svelte'

/** The id of the sentence that says why a control is off (RoleBanner renders it). */
export const ROLE_NOTE_ID = 'role-note'

export interface GatedAttributes {
  disabled: boolean
  'aria-describedby': string | undefined
}

/** Joins description ids, leaving out the absent ones; undefined when none is left (no empty attribute). */
export function joinIds(...ids: (string | null | undefined)[]): string | undefined {
  const present = ids.filter((id): id is string => typeof id === 'string' && id.length > 0)
  return present.length > 0 ? present.join(' ') : undefined
}

/** Whether the server refuses this status's role changes to a group. */
export function refuses(status: SyncStatus | null, share: SyncShare): boolean {
  return status?.refused.includes(share) ?? false
}

/** The attributes of a control that changes `share` (spread on the element): off, and described, when the server refuses. */
export function gatedBy(status: SyncStatus | null, share: SyncShare | undefined, disabled = false, describedBy?: string): GatedAttributes {
  const off = share !== undefined && refuses(status, share)
  return { disabled: disabled || off, 'aria-describedby': joinIds(describedBy, off ? ROLE_NOTE_ID : undefined) }
}

/** gatedBy with the live sync status: `<button {...gated('devices', busy)}>`; no group, no gate (kit components' optional `changes`). */
export function gated(share: SyncShare | undefined, disabled = false, describedBy?: string): GatedAttributes {
  return gatedBy(teamSyncStatus.status, share, disabled, describedBy)
}

/** Whether the current role may change `share` (for controls that are hidden rather than disabled, such as a drop zone). */
export function allowed(share: SyncShare): boolean {
  return !refuses(teamSyncStatus.status, share)
}

/**
 * Documents the server refused since the last status this computer saw: a refusal that still happens (the role was
 * lowered on the server after the UI last knew it) is said in words, once, as it arrives.
 */
export function newRefusals(before: SyncStatus | null, after: SyncStatus): SyncStatus['denied'] {
  if (before === null) return []
  const added = after.deniedTotal - before.deniedTotal
  return added > 0 ? after.denied.slice(0, added) : []
}
