import { CliError, EXIT } from './runtime'

/**
 * The form every date-and-time option takes (`devices locate --measured-at`, `historian history --from/--to`,
 * `sim search --since`, `orange search --changed-since`): ISO 8601 with seconds and a time zone, as the core's
 * schemas take it (a time without a zone is another instant on every machine).
 */
const FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/
const EXAMPLE = '2026-01-31T08:00:00Z'
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** Why a text in the form names no instant, in plain words; null when it names one. */
function impossible(parts: number[]): string | null {
  const [year = 0, month = 0, day = 0, hours = 0, minutes = 0, seconds = 0, offsetHours = 0, offsetMinutes = 0] = parts
  if (month < 1 || month > 12) return `there is no month ${month}`
  if (day < 1 || day > daysIn(year, month)) return `${MONTHS[month - 1]} ${year} has no day ${day} (it has ${daysIn(year, month)})`
  if (hours > 23 || minutes > 59 || seconds > 59) return 'that time of day does not exist (hours 00 to 23, minutes and seconds 00 to 59)'
  if (offsetHours > 23 || offsetMinutes > 59) return 'that time zone offset does not exist (at most ±23:59)'
  return null
}

/**
 * An option's date and time, checked: the text as given (what the core stores or the carrier is sent) and its instant.
 * A text in the form whose day or time does not exist says so (cold trial: 2026-02-31T10:00:00Z was "not ISO 8601"
 * for the location, and JavaScript's Date, which the other options trusted, reads it as 3 March without a word).
 */
export function instantOption(option: string, value: string): { text: string; ms: number } {
  const shown = JSON.stringify(value.slice(0, 40))
  const match = FORM.exec(value)
  if (!match) throw new CliError(`fieldline: ${option} must be an ISO 8601 date and time with a time zone, e.g. ${EXAMPLE} (got ${shown})`, EXIT.usage)
  const why = impossible(match.slice(1).map((part) => Number(part ?? 0)))
  if (why) throw new CliError(`fieldline: ${option} ${shown} is not a date and time that exists: ${why}`, EXIT.usage)
  return { text: value, ms: Date.parse(value) }
}
