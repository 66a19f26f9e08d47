import type { ErrorInfo, Diagnostic } from '../../../../src-shared/contract'
import type { PackageSummary } from '../../../../src-shared/models/packages'
import { MAX_PACKAGE_BYTES, tooLargeError } from '../dm-packages'
import { toErrorInfo } from '../errors'
import { decodePackageBytes } from '../../../../src-shared/models/package-bytes'
import { Confirmation } from './confirmation.svelte'
import { packages } from './packages.svelte'

/** What became of one file the operator added. Only `added` stored anything. */
export type UploadOutcome =
  | { kind: 'added'; fileName: string; summary: PackageSummary; replaced: boolean }
  /** Refused with line/column diagnostics. */
  | { kind: 'invalid'; fileName: string; diagnostics: Diagnostic[] }
  /** A bundle with this id exists and the operator kept it. */
  | { kind: 'kept'; fileName: string; bundleId: string }
  | { kind: 'failed'; fileName: string; error: ErrorInfo }

/** A bundle id already in the library: the operator chooses between replacing it and keeping it. */
export interface PendingConflict {
  fileName: string
  bundleId: string
  version: string
}

/**
 * Adding package files (picked or dropped), one after the other: each is read, sent to the core — which validates
 * it and stores nothing invalid — and, when its bundle id is already in the library, held until the operator
 * chooses "Replace" or "Cancel".
 */
class PackageUpload {
  busy = $state(false)
  /** The outcomes of the latest batch, in the order the files came. */
  outcomes = $state.raw<UploadOutcome[]>([])
  /** A bundle id already in the library: the question put to the operator. */
  readonly conflict = new Confirmation<PendingConflict>()
  #decide: ((replace: boolean) => void) | null = null

  async addFiles(files: readonly File[]): Promise<void> {
    if (this.busy || files.length === 0) return
    this.busy = true
    this.outcomes = []
    try {
      for (const file of files) {
        const outcome = await this.#addOne(file)
        this.outcomes = [...this.outcomes, outcome]
      }
    } finally {
      this.busy = false
    }
  }

  /** The operator's answer to the pending conflict. */
  decide(replace: boolean): void {
    const decide = this.#decide
    this.#decide = null
    this.conflict.subject = null
    decide?.(replace)
  }

  clear(): void {
    if (!this.busy) this.outcomes = []
  }

  async #addOne(file: File): Promise<UploadOutcome> {
    const fileName = file.name
    // Refused before reading: a big file is not pulled into memory only to be refused by the core.
    if (file.size > MAX_PACKAGE_BYTES) return { kind: 'failed', fileName, error: tooLargeError(file.size) }
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await file.arrayBuffer())
    } catch (e) {
      return { kind: 'failed', fileName, error: toErrorInfo(e) }
    }
    const decoded = decodePackageBytes(bytes)
    if (!decoded.ok) return { kind: 'failed', fileName, error: { code: 'VALIDATION', message: decoded.message, details: { ref: decoded.ref } } }
    const { text } = decoded
    const first = await packages.add(text, false)
    if (first.ok) return { kind: 'added', fileName, summary: first.value, replaced: false }
    const ref = first.error.details?.ref
    if (first.error.code === 'CONFLICT' && ref?.key === 'dm.exists') {
      const bundleId = String(ref.params?.bundleId ?? '')
      const replace = await new Promise<boolean>((resolve) => {
        this.#decide = resolve
        this.conflict.ask({ fileName, bundleId, version: String(ref.params?.version ?? '—') })
      })
      if (!replace) return { kind: 'kept', fileName, bundleId }
      const second = await packages.add(text, true)
      return second.ok ? { kind: 'added', fileName, summary: second.value, replaced: true } : this.#refused(fileName, second.error)
    }
    return this.#refused(fileName, first.error)
  }

  #refused(fileName: string, error: ErrorInfo): UploadOutcome {
    const diagnostics = error.details?.diagnostics
    if (error.code === 'VALIDATION' && diagnostics && diagnostics.length > 0) return { kind: 'invalid', fileName, diagnostics }
    // Too large: the core's one diagnostic (at 1:1) says it all; its position would only mislead.
    const tooLarge = diagnostics?.find((d) => d.ref.key === 'dm.tooLarge')
    if (tooLarge) return { kind: 'failed', fileName, error: { ...error, details: { ref: tooLarge.ref } } }
    return { kind: 'failed', fileName, error }
  }
}

export const packageUpload = new PackageUpload()
