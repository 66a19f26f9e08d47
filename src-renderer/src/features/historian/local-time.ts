/** The operator picks times in their own zone (datetime-local); the core takes ISO times with their offset. */

const pad = (n: number): string => String(n).padStart(2, '0')

/** A time as a datetime-local value in this computer's zone, to the minute: "2024-05-01T14:30". */
export function localInput(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** A datetime-local value as an ISO time (UTC); empty when the field is empty or incomplete, which the form calls required. */
export function fromLocalInput(value: string): string {
  if (value === '') return ''
  const ms = new Date(value).getTime()
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString()
}
