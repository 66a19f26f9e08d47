/**
 * What `fieldline sync setup` writes on the server so that roles hold there and not only in the UI
 * (docs/wire/couchdb-sync.md §3):
 *
 * - `_security`: administrators are database admins by role; operators and viewers are members by role. A user with
 *   none of these roles is refused by the server.
 * - `_design/fieldline-roles` with a `validate_doc_update` that runs on every write, replicated ones included:
 *   viewers write nothing; operators write devices, drafts, packages and caches, and add audit entries; administrators
 *   (and the server's own admins) write everything, team settings and profiles included. Audit entries, once written,
 *   are changed by no one but an administrator.
 *
 * The function is plain ES5 text: CouchDB runs it in its own JavaScript engine, not Node.
 */
import { ROLE_WRITES, SHARE_PREFIXES } from '../../../src-shared/models/sync'

export const ROLES_DESIGN_ID = '_design/fieldline-roles'

export const TEAM_SECURITY = {
  admins: { names: [] as string[], roles: ['administrator'] },
  members: { names: [] as string[], roles: ['operator', 'viewer'] },
}

// Audit entries are handled on their own below: operators may add them, never change them.
const OPERATOR_PREFIXES = ROLE_WRITES.operator.filter((share) => share !== 'audit').flatMap((share) => SHARE_PREFIXES[share])

export const VALIDATE_DOC_UPDATE = `function (newDoc, oldDoc, userCtx) {
  var roles = userCtx.roles || [];
  function has(role) { return roles.indexOf(role) !== -1; }
  function starts(prefixes) {
    for (var i = 0; i < prefixes.length; i++) if (newDoc._id.indexOf(prefixes[i]) === 0) return true;
    return false;
  }
  if (has('_admin') || has('administrator')) return;
  if (has('operator')) {
    if (starts(${JSON.stringify(OPERATOR_PREFIXES)})) return;
    if (newDoc._id.indexOf('audit:') === 0) {
      if (oldDoc || newDoc._deleted) throw({ forbidden: 'audit entries cannot be changed or removed (administrator role required)' });
      return;
    }
    throw({ forbidden: 'operators change devices, configurations and packages; ' + newDoc._id + ' needs the administrator role' });
  }
  throw({ forbidden: 'viewers may only read (' + newDoc._id + ' was not written)' });
}`

/** The role a server session holds in the team, strongest first; null when it holds none of ours. */
export function teamRole(roles: readonly string[]): 'administrator' | 'operator' | 'viewer' | null {
  if (roles.includes('_admin') || roles.includes('administrator')) return 'administrator'
  if (roles.includes('operator')) return 'operator'
  if (roles.includes('viewer')) return 'viewer'
  return null
}
