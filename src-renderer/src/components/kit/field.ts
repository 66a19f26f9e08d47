import type { Snippet } from 'svelte'
import type { FormModel } from '../../lib/form/form.svelte'

/** The ids an input is described by: its error first (read first), then hints; null when there are none. */
export function describedBy(...ids: (string | null | undefined | false)[]): string | undefined {
  const parts = ids.filter((id): id is string => typeof id === 'string' && id !== '')
  return parts.length > 0 ? parts.join(' ') : undefined
}

/**
 * The control attributes a field does not take: the browser cuts a typed or pasted value at `maxlength` without a word
 * (a pasted 37-character device ID became another device of 36). A field's length limit is its schema's `.max()`,
 * which the form's checks say under the field ("At most 36 characters.") and the core enforces too.
 */
export type NoCut = 'maxlength'

/** What every field component takes besides its own control's attributes. */
export interface FieldProps {
  form: FormModel
  /** Where the field's value sits in the input the form sends ('settings.baseUrl'): its errors are found there. */
  path: string
  label: string
  hint?: string
  /** More ids that describe the control (a hint shared by a row of fields, a warning). */
  describedby?: string
  /** Marks the control invalid for a problem shown elsewhere (one message under a pair of fields). */
  invalid?: boolean
  /** Class of the field's wrapper, for its place in a row. */
  class?: string
  /** Under the problem, above the hint: a warning about the value, a "clear the saved one" choice. */
  below?: Snippet
}

/** What the frame hands the control it wraps. */
export interface ControlAttributes {
  id: string
  'aria-invalid': boolean
  'aria-describedby': string | undefined
}

/**
 * Focuses the first field with a problem after a refused submit, opening the <details> it may sit in ("Advanced"),
 * so that the keyboard and the screen reader start where the operator has something to fix.
 */
export function focusFirstProblem(root: HTMLElement): void {
  const invalid = root.querySelector<HTMLElement>('[aria-invalid="true"]')
  if (!invalid) return
  for (let details = invalid.closest('details'); details; details = details.parentElement?.closest('details') ?? null) details.open = true
  invalid.focus()
}
