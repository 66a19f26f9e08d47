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
