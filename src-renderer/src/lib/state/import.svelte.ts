import type { ErrorInfo, IMPORT_ENCODINGS, ImportReport, Result } from '../../../../src-shared/contract'
import { MAX_IMPORT_CHUNK_BYTES } from '../../../../src-shared/models/limits'
import { api } from '../api'
import { toErrorInfo } from '../errors'

/** Well under the contract's hard cap, so one call stays short and progress moves smoothly. */
const CHUNK_BYTES = Math.min(256 * 1024, MAX_IMPORT_CHUNK_BYTES)

export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number]

/** Base64 of a chunk, in slices so that no call spreads more arguments than an engine accepts. */
function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

type ImportPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'failed'

/**
 * One run of the panel: its job on the core, whether the operator cancelled it, the file being read. A cancelled run
 * may still be waiting for the core when the operator starts the next file; it must then stop for good (it used to read
 * a flag the next run had set back, send the rest of its file, and cancel the next run's job when the core refused it).
 */
interface Run {
  jobId: string | null
  cancelled: boolean
  reader: ReadableStreamDefaultReader<Uint8Array> | null
}

/** One import at a time: the file is streamed to the core in chunks; the core parses and reports. */
class ImportJob {
  phase = $state<ImportPhase>('idle')
  fileName = $state('')
  fileSize = $state(0)
  bytesSent = $state(0)
  rows = $state(0)
  added = $state(0)
  failed = $state(0)
  /** Of `failed`, the devices already there (not refusals). */
  existing = $state(0)
  report = $state.raw<ImportReport | null>(null)
  /** How the next file is read: UTF-8 unless the operator chooses Latin-1 (the core refuses what is not UTF-8). */
  encoding = $state<ImportEncoding>('utf-8')
  error = $state.raw<ErrorInfo | null>(null)
  percent = $derived(this.fileSize > 0 ? Math.min(100, Math.round((this.bytesSent / this.fileSize) * 100)) : this.phase === 'done' ? 100 : 0)
  /**
   * Bytes sent and the bar, while a file goes or once it went; not beside a refusal (cold trial: "0 bytes sent of 24
   * (0 %)" beside a header the core refused), where they only said that the import did not happen.
   */
  showsProgress = $derived(this.phase !== 'failed')
  /** The counts, unless a refusal came before any row was read: then the refusal alone says what happened. */
  showsCounts = $derived(this.phase !== 'failed' || this.rows > 0)
  /** The run the panel shows; null once it was closed. */
  #run: Run | null = null

  constructor() {
    api.on('job:progress', (progress) => {
      if (this.#run === null || progress.jobId !== this.#run.jobId) return
      this.rows = progress.rows
      this.added = progress.added
      this.failed = progress.failed
      this.existing = progress.existing
    })
  }

  reset(): void {
    if (this.phase === 'running') return
    this.phase = 'idle'
    this.fileName = ''
    this.fileSize = 0
    this.bytesSent = 0
    this.rows = this.added = this.failed = this.existing = 0
    this.report = null
    this.error = null
    this.#run = null
  }

  async run(file: File): Promise<void> {
    if (this.phase === 'running') return
    this.reset()
    const run: Run = { jobId: null, cancelled: false, reader: null }
    this.#run = run
    this.phase = 'running'
    this.fileName = file.name
    this.fileSize = file.size
    const outcome = await this.#import(file, run)
    run.reader = null
    if (outcome === null || run.cancelled) return
    if (outcome.ok) {
      this.report = outcome.value
      this.rows = outcome.value.rows
      this.added = outcome.value.added
      this.failed = outcome.value.failed
      this.existing = outcome.value.existing
      this.phase = 'done'
      return
    }
    this.error = outcome.error
    this.phase = 'failed'
    if (run.jobId) await api.invoke('import:cancel', { jobId: run.jobId })
  }

  /** Start, chunks, finish: the report, or the first refusal; null once the operator cancelled. */
  async #import(file: File, run: Run): Promise<Result<ImportReport> | null> {
    const started = await api.invoke('import:start', { fileName: file.name, encoding: this.encoding })
    if (!started.ok) return started
    const { jobId } = started.value
    run.jobId = jobId
    if (run.cancelled) {
      await this.#cancelOnCore(run, jobId)
      return null
    }
    const sent = await this.#send(file, run, jobId)
    if (run.cancelled) return null
    if (!sent.ok) return sent
    this.bytesSent = file.size
    return api.invoke('import:finish', { jobId })
  }

  async cancel(): Promise<void> {
    const run = this.#run
    if (this.phase !== 'running' || !run) return
    run.cancelled = true
    this.phase = 'cancelled'
    void run.reader?.cancel()
    if (run.jobId) await this.#cancelOnCore(run, run.jobId)
  }

  async #cancelOnCore(run: Run, jobId: string): Promise<void> {
    const result = await api.invoke('import:cancel', { jobId })
    // Said only while the panel still shows this run, not over the next one.
    if (!result.ok && this.#run === run) this.error = result.error
  }

  /**
   * Streams the file's bytes so a large import never sits in memory whole; the core decodes them, so it can say on
   * which line and at which byte a file stops being UTF-8. Chunks may cut anywhere, even inside a character.
   */
  async #send(file: File, run: Run, jobId: string): Promise<Result<unknown>> {
    const reader = file.stream().getReader()
    run.reader = reader
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    let sent = 0
    const sendPending = async (): Promise<Result<unknown>> => {
      const buffer = new Uint8Array(pendingBytes)
      let at = 0
      for (const part of pending) {
        buffer.set(part, at)
        at += part.length
      }
      pending = []
      pendingBytes = 0
      for (let i = 0; i < buffer.length; i += CHUNK_BYTES) {
        const piece = buffer.subarray(i, i + CHUNK_BYTES)
        const result = await api.invoke('import:chunk', { jobId, data: toBase64(piece) })
        if (!result.ok || run.cancelled) return result
        sent += piece.length
        this.bytesSent = Math.min(sent, file.size)
      }
      return { ok: true, value: null }
    }
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (e) {
        // The file became unreadable (moved, permissions) while it was being read.
        return { ok: false, error: toErrorInfo(e) }
      }
      if (run.cancelled) return { ok: true, value: null }
      if (chunk.value) {
        pending.push(chunk.value)
        pendingBytes += chunk.value.length
      }
      if (pendingBytes >= CHUNK_BYTES || (chunk.done && pendingBytes > 0)) {
        const result = await sendPending()
        if (!result.ok || run.cancelled) return result
      }
      if (chunk.done) return { ok: true, value: null }
    }
  }
}

export const importJob = new ImportJob()
