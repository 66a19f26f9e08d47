const dateTimeFormats = new Map<string, Intl.DateTimeFormat>()

/** Locale-formatted date and time; the raw text when it is not a date (the audit trail is data, not code). */
export function formatDateTime(iso: string, locale: string | null | undefined): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const key = locale ?? 'en'
  let format = dateTimeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(key, { dateStyle: 'medium', timeStyle: 'medium' })
    dateTimeFormats.set(key, format)
  }
  return format.format(date)
}
