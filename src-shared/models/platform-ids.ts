/**
 * The platform's ids (docs/wire/platform-mqtt.md §3): device types, device ids, event and command names and formats are
 * 1–36 letters, digits, '-', '_' or '.'; device-management bundle, action and parameter ids take the same characters,
 * up to 255 (docs/wire/dm-packages.md §4). Topic levels, client-id parts and workspace keys are all checked against these.
 */

const ID_CHAR = '[A-Za-z0-9._-]'
export const MAX_PLATFORM_ID = 36
export const MAX_DM_ID = 255
/** One id, as a pattern source, for patterns that hold several (an application client id). */
export const PLATFORM_ID_SOURCE = `${ID_CHAR}{1,${MAX_PLATFORM_ID}}`

/** Device type and device ID, and every other id of 1–36 characters. */
export const DEVICE_ID_PATTERN = new RegExp(`^${PLATFORM_ID_SOURCE}$`)
/** Device-management bundle, action and parameter ids. */
export const DM_ID_PATTERN = new RegExp(`^${ID_CHAR}{1,${MAX_DM_ID}}$`)
