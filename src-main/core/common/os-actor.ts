import { userInfo } from 'node:os'

/**
 * Who is at the keyboard, for the audit trail: the operating system's user running Fieldline. A teammate reading
 * the replicated trail tells colleagues apart by it, which "operator" on every entry never allowed. An account
 * without a name (some containers) falls back to the environment, then to "operator".
 */
export function osActor(): string {
  let name = ''
  try {
    name = userInfo().username
  } catch {
    // userInfo() throws when the uid has no passwd entry; the environment may still name the user.
  }
  return (name || process.env.USER || process.env.USERNAME || 'operator').slice(0, 100)
}
