import type { BaseDoc } from './documents'

/** invitation 1 → 2: invitations made before invitation codes had no CouchDB user on the team server (`account`). */
export function invitationWithoutAccount(doc: BaseDoc): BaseDoc {
  return { ...doc, account: null } as BaseDoc
}

/** invitation 2 → 3: no invitation was known to be joined before its state could say so (`joinedAt`). */
export function invitationNotJoined(doc: BaseDoc): BaseDoc {
  return { ...doc, joinedAt: null } as BaseDoc
}

/** invitation 3 → 4: no send was marked as under way, nor cut off, before the marker existed. */
export function invitationNotSending(doc: BaseDoc): BaseDoc {
  return { ...doc, sending: null, unknownSince: null } as BaseDoc
}
