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

/** A number as the form shows it for editing: the point as decimal sign, which every language's field accepts. */
export function editable(value: number | null): string {
  return value === null ? '' : String(value)
}
