/**
 * Suites that need a system service (keyring, mosquitto, Chromium) skip with a loud reason when it is
 * missing locally, and fail instead when FIELDLINE_STRICT=1 (which .ci/run sets).
 */
export const STRICT = process.env.FIELDLINE_STRICT === '1'

/**
 * Returns the reason to skip, or null when the service is there. Under FIELDLINE_STRICT=1 a missing
 * service throws, so the suite fails instead of being skipped.
 */
export function missingService(name: string, reason: string | null): string | null {
  if (reason === null) return null
  const message = `${name} unavailable: ${reason}`
  if (STRICT) throw new Error(`${message} (FIELDLINE_STRICT=1: a missing service is a failure)`)
  process.stderr.write(`\n*** SKIPPING ${name} suite: ${message} ***\n\n`)
  return message
}

/**
 * Why keychain-backed tests cannot run here, or null when they can: saving a profile puts its secret in the OS keychain,
 * which needs a D-Bus session with an unlocked gnome-keyring. Goes through missingService, so FIELDLINE_STRICT=1 throws.
 */
export function keyringSkipReason(): string | null {
  return missingService('gnome-keyring', process.env.DBUS_SESSION_BUS_ADDRESS ? null : 'no D-Bus session for gnome-keyring (run inside dbus-run-session with an unlocked keyring, as .ci/run does)')
}
