import type { ErrorInfo, Diagnostic } from '../../../../src-shared/contract'
import type { PackageSummary } from '../../../../src-shared/models/packages'
import { exceedsBytes, MAX_EDITOR_TEXT_BYTES } from '../../../../src-shared/models/limits'
import { api } from '../api'
import { debounce } from '../debounce'
import { tooLargeError } from '../dm-packages'

const VALIDATE_DELAY_MS = 300

/**
 * The operator's edits of one kept package. The editor owns the text; this class has the core validate it as it
 * changes (the core's diagnostics, with the semantic rules the JSON Schema cannot say) and saves it, keeping the
 * text whatever the core answers.
 */
export class PackageDocument {
  readonly bundleId: string
  diagnostics = $state.raw<Diagnostic[]>([])
  /** The last save was refused because of these diagnostics (shown until the next edit or save). */
  rejected = $state(false)
  saving = $state(false)
  /** Edited since it was opened or last saved. */
  dirty = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #text: string
  #validateSeq = 0
  #validate = debounce((text: string) => void this.validateNow(text), VALIDATE_DELAY_MS)

  constructor(bundleId: string, text: string) {
    this.bundleId = bundleId
    this.#text = text
  }

  get text(): string {
    return this.#text
  }

  /** Called for each change the operator makes (not for text the app puts in the editor). */
  edited(text: string): void {
    this.#text = text
    this.dirty = true
    this.rejected = false
    const bytes = exceedsBytes(text, MAX_EDITOR_TEXT_BYTES)
    if (bytes !== undefined) {
      // The bridge would refuse it as malformed input; say what the core would say about its size instead.
      this.#validate.cancel()
      this.error = tooLargeError(bytes)
      return
    }
    this.error = null
    this.#validate(text)
  }

  async validateNow(text: string = this.#text): Promise<void> {
    if (exceedsBytes(text, MAX_EDITOR_TEXT_BYTES) !== undefined) return
    const seq = ++this.#validateSeq
    const result = await api.invoke('packages:validate', { text })
    // A result for text the operator has since changed would put markers in the wrong places.
    if (seq !== this.#validateSeq || text !== this.#text) return
    if (result.ok) this.diagnostics = result.value.diagnostics
  }

  /** Returns the saved summary, or null when the core refused (diagnostics or error say why). */
  async save(): Promise<PackageSummary | null> {
    const text = this.#text
    if (exceedsBytes(text, MAX_EDITOR_TEXT_BYTES) !== undefined) return null
    this.#validate.cancel()
    this.saving = true
    this.error = null
    const result = await api.invoke('packages:save', { bundleId: this.bundleId, text })
    this.saving = false
    if (result.ok) {
      this.rejected = false
      if (text === this.#text) {
        this.dirty = false
        // Warnings stay worth seeing after a save; the core only returns the summary, so ask again.
        void this.validateNow(text)
      }
      return result.value
    }
    const diagnostics = result.error.details?.diagnostics
    if (result.error.code === 'VALIDATION' && diagnostics && diagnostics.length > 0) {
      this.#validateSeq++
      this.diagnostics = diagnostics
      this.rejected = true
    } else {
      this.error = result.error
    }
    return null
  }

  dispose(): void {
    this.#validate.cancel()
  }
}
