import { SvelteSet } from 'svelte/reactivity'
import type { ErrorInfo, MessageRef, Result } from '../../../../src-shared/contract'
import { translateRef, type Translate } from '../../i18n'
import { formErrors, type FieldErrors, type FormRules } from './issues'

export interface Placement {
  path: string
  ref: MessageRef
}

/**
 * Which field a refusal from the core is about: the field the core named (`params.field`, set from the schema path by
 * the dispatcher, or by a check that knows it), a reference the form knows belongs to one field (`refPaths`, for the
 * core's own checks that carry no path), or the first offending path of a refusal that only has the contract's English words.
 * Null when the refusal is about the whole form (it is shown at its foot).
 */
export function placeServerError(error: ErrorInfo, refPaths: Readonly<Record<string, string>>, shown: (path: string) => boolean): Placement | null {
  const ref = error.details?.ref
  if (ref) {
    // The field the core named wins over the form's map of keys: one key (an insecure URL) can be about two fields.
    const field = ref.params?.field
    if (typeof field === 'string' && shown(field)) return { path: field, ref }
    const byKey = refPaths[ref.key]
    if (byKey && shown(byKey)) return { path: byKey, ref }
  }
  if (error.code !== 'VALIDATION') return null
  const issue = error.details?.issues?.find((i) => shown(i.path))
  return issue ? { path: issue.path, ref: { key: 'form.refused', params: { reason: issue.message } } } : null
}

export interface FormModelOptions<I> extends FormRules<I> {
  /** What the form would send now: the checks run on exactly that. */
  input: () => I
  /** Refusals of the core that are about one field, by message key: 'errors.insecureUrl' → 'settings.baseUrl'. */
  refPaths?: Readonly<Record<string, string>>
  /** How a reference reads; the email forms name fields in the operator's words. */
  text?: (t: Translate, ref: MessageRef) => string
}

/**
 * The state every form shares: problems show after the first submit and then follow each keystroke; a refusal from
 * the core is shown at the field it is about, like the form's own checks, or at the form's foot.
 */
export class FormModel<I = unknown> {
  attempted = $state(false)
  submitting = $state(false)
  serverError = $state.raw<ErrorInfo | null>(null)
  readonly #validate: () => FieldErrors
  readonly #refPaths: Readonly<Record<string, string>>
  readonly #text: FormModelOptions<I>['text']
  /** The fields on screen now (a mode switch changes them), so a refusal lands only on a field the operator can see. */
  readonly #shown = new SvelteSet<string>()

  readonly placed = $derived.by(() => (this.serverError ? placeServerError(this.serverError, this.#refPaths, (p) => this.#shown.has(p)) : null))

  readonly errors = $derived.by((): FieldErrors => {
    const client = this.attempted ? this.#validate() : {}
    const placed = this.placed
    return placed && !client[placed.path] ? { ...client, [placed.path]: placed.ref } : client
  })

  constructor(options: FormModelOptions<I>) {
    this.#validate = () => formErrors(options, options.input())
    this.#refPaths = options.refPaths ?? {}
    this.#text = options.text
  }

  /** The refusal that is about no field in particular. */
  get formError(): ErrorInfo | null {
    return this.serverError && !this.placed ? this.serverError : null
  }

  text(t: Translate, ref: MessageRef): string {
    return this.#text ? this.#text(t, ref) : translateRef(t, ref, ref.key)
  }

  /** Called by each field while it is on screen; returns the function that takes it off. */
  show(path: string): () => void {
    this.#shown.add(path)
    return () => this.#shown.delete(path)
  }

  reset(): void {
    this.attempted = false
    this.submitting = false
    this.serverError = null
  }

  /** Checks the form; when nothing is wrong, runs `save`. The saved value, or null (the errors say why). */
  async submit<T>(save: () => Promise<Result<T>>): Promise<T | null> {
    this.attempted = true
    this.serverError = null
    if (Object.keys(this.#validate()).length > 0) return null
    this.submitting = true
    const result = await save()
    this.submitting = false
    if (!result.ok) {
      this.serverError = result.error
      return null
    }
    return result.value
  }
}
