import { parseDecimal } from '../../../../../src-shared/models/location'

/**
 * A coordinate typed in the form: plain decimals, with a point or (as French writes it) a comma. Anything else is NaN,
 * which the contract's range check refuses with its words, rather than a number the operator did not write.
 */
export function typedDecimal(text: string): number {
  const t = text.trim()
  return parseDecimal(t.includes(',') && !t.includes('.') ? t.replace(',', '.') : t) ?? Number.NaN
}

/** An optional number field: left empty, it is not sent. */
export function optionalDecimal(text: string): number | undefined {
  return text.trim() === '' ? undefined : typedDecimal(text)
}

/**
 * A `datetime-local` value (this computer's wall clock, no zone) as the ISO instant the contract takes; an empty one is
 * not sent, and one the browser let through that is not a time goes as typed, for the contract to refuse.
 */
export function localTimeToIso(value: string): string | undefined {
  if (value.trim() === '') return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : date.toISOString()
}

/** A number as the form shows it for editing: the point as decimal sign, which every language's field accepts. */
export function editable(value: number | null): string {
  return value === null ? '' : String(value)
}
