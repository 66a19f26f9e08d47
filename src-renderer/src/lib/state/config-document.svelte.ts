import type { ErrorInfo, Device, DeviceKey, Diagnostic } from '../../../../src-shared/contract'
import { formatMebibytes } from '../../../../src-shared/models/byte-format'
import { exceedsBytes, MAX_CONFIG_BYTES } from '../../../../src-shared/models/limits'
import { api } from '../api'
import { debounce } from '../debounce'
import { allowed } from './role-gate.svelte'

const VALIDATE_DELAY_MS = 300
const DRAFT_DELAY_MS = 500

export type DraftStatus = 'none' | 'pending' | 'saved' | 'failed'

/** The text the editor opens with: the unsaved draft if there is one, else the saved configuration. */
export function initialText(device: Device): { text: string; fromDraft: boolean } {
  if (device.draft) return { text: device.draft.text, fromDraft: true }
  const saved = device.extensionConfig ? JSON.stringify(device.extensionConfig, null, 2) : '{}'
  return { text: `${saved}\n`, fromDraft: false }
}

/**
 * The operator's edits of one device's extension configuration. The editor owns the text; this class
 * validates it through the core, keeps a draft on the core so a restart loses nothing, and saves it. No draft is
 * kept while the team server refuses this role's drafts (they are shared and the role may not write them): it would
 * only be refused on push.
 */
export class ConfigDocument {
  readonly key: DeviceKey
  diagnostics = $state.raw<Diagnostic[]>([])
  /** The last save was refused because of these diagnostics (shown until the next edit or save). */
  rejected = $state(false)
  saving = $state(false)
  draftStatus = $state<DraftStatus>('none')
  draftRestored = $state(false)
  error = $state.raw<ErrorInfo | null>(null)
  #text = ''
  #validateSeq = 0
  #draftWrite: Promise<unknown> = Promise.resolve()
  #validate = debounce((text: string) => void this.validateNow(text), VALIDATE_DELAY_MS)
  #saveDraft = debounce((text: string) => {
    this.#draftWrite = this.#writeDraft(text)
  }, DRAFT_DELAY_MS)

  constructor(key: DeviceKey, text: string, fromDraft: boolean) {
    this.key = key
    this.#text = text
    this.draftRestored = fromDraft
    this.draftStatus = fromDraft ? 'saved' : 'none'
  }

  static tooLarge(text: string): boolean {
    return exceedsBytes(text, MAX_CONFIG_BYTES) !== undefined
  }

  /** Called for each change the operator makes (not for text the app puts in the editor). */
  edited(text: string): void {
    this.#text = text
    this.rejected = false
    if (ConfigDocument.tooLarge(text)) {
      this.#validate.cancel()
      this.#saveDraft.cancel()
      this.error = {
        code: 'TOO_LARGE',
        message: `The configuration is larger than ${formatMebibytes(MAX_CONFIG_BYTES, 'en')}.`,
        details: { ref: { key: 'errors.configTooLarge', params: { max: formatMebibytes(MAX_CONFIG_BYTES, 'en'), maxBytes: MAX_CONFIG_BYTES } } },
      }
      return
    }
    this.error = null
    this.#validate(text)
    if (!allowed('drafts')) {
      this.draftStatus = 'none'
      return
    }
    this.draftStatus = 'pending'
    this.#saveDraft(text)
  }

  async validateNow(text: string = this.#text): Promise<void> {
    if (ConfigDocument.tooLarge(text)) return
    const seq = ++this.#validateSeq
    const result = await api.invoke('devices:validateConfig', { text })
    // A result for text the operator has since changed would put markers in the wrong places.
    if (seq !== this.#validateSeq || text !== this.#text) return
    if (result.ok) this.diagnostics = result.value.diagnostics
  }

  async #writeDraft(text: string): Promise<void> {
    const result = await api.invoke('devices:saveDraft', { ...this.key, text })
    if (text !== this.#text) return
    this.draftStatus = result.ok ? 'saved' : 'failed'
  }

  /** Returns the saved device, or null when the core refused (diagnostics or error say why). */
  async save(): Promise<Device | null> {
    if (ConfigDocument.tooLarge(this.#text)) return null
    const text = this.#text
    // A draft write landing after the save would resurrect a draft of text that is already saved.
    this.#saveDraft.cancel()
    this.#validate.cancel()
    await this.#draftWrite
    this.saving = true
    this.error = null
    // Shown anew for each refused save (Save pressed again, or Ctrl+S), so a screen reader says it again.
    this.rejected = false
    const result = await api.invoke('devices:saveConfig', { ...this.key, text })
    this.saving = false
    if (result.ok) {
      this.#validateSeq++
      this.diagnostics = result.value.diagnostics
      this.rejected = false
      if (text === this.#text) {
        this.draftStatus = 'none'
        this.draftRestored = false
      } else {
        this.edited(this.#text)
      }
      return result.value.device
    }
    const diagnostics = result.error.details?.diagnostics
    if (result.error.code === 'VALIDATION' && diagnostics) {
      this.#validateSeq++
      this.diagnostics = diagnostics
      this.rejected = true
    } else {
      this.error = result.error
    }
    // The refused text must survive a restart too.
    if (text === this.#text && allowed('drafts')) this.#draftWrite = this.#writeDraft(text)
    return null
  }

  /** Drops the draft on the core; the caller puts the returned saved text back into the editor. */
  async discardDraft(device: Device | null): Promise<string | null> {
    this.#saveDraft.cancel()
    await this.#draftWrite
    const result = await api.invoke('devices:discardDraft', this.key)
    if (!result.ok) {
      this.error = result.error
      return null
    }
    this.draftRestored = false
    this.draftStatus = 'none'
    this.rejected = false
    const text = device ? initialText({ ...device, draft: null }).text : '{}\n'
    this.#text = text
    void this.validateNow(text)
    return text
  }

  dispose(): void {
    // Leaving the page must not lose the last keystrokes: write the pending draft now.
    this.#saveDraft.flush()
    this.#validate.cancel()
  }
}
