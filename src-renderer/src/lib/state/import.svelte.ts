import type { ErrorInfo, ImportReport, Result } from '../../../../src-shared/contract'
import { MAX_IMPORT_CHUNK_CHARS } from '../../../../src-shared/contract'
import { api } from '../api'
import { toErrorInfo } from '../errors'

/** Well under the contract's hard cap, so one call stays short and progress moves smoothly. */
const CHUNK_CHARS = Math.min(256 * 1024, MAX_IMPORT_CHUNK_CHARS)

type ImportPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'failed'

/**
 * Where to cut the next chunk: after the last line break if there is one (so a core that parses chunk by
 * chunk sees whole rows), and never between the two halves of a surrogate pair.
 */
function chunkEnd(buffer: string, max: number): number {
  if (buffer.length <= max) return buffer.length
  const newline = buffer.lastIndexOf('\n', max - 1)
  if (newline > 0) return newline + 1
  const code = buffer.charCodeAt(max - 1)
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max
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
  report = $state.raw<ImportReport | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  percent = $derived(
    this.fileSize > 0 ? Math.min(100, Math.round((this.bytesSent / this.fileSize) * 100)) : this.phase === 'done' ? 100 : 0,
  )
  #jobId: string | null = null
  #cancelled = false
  #reader: ReadableStreamDefaultReader<string> | null = null

  constructor() {
    api.on('job:progress', (progress) => {
      if (progress.jobId !== this.#jobId) return
      this.rows = progress.rows
      this.added = progress.added
      this.failed = progress.failed
    })
  }

  reset(): void {
    if (this.phase === 'running') return
    this.phase = 'idle'
    this.fileName = ''
    this.fileSize = 0
    this.bytesSent = 0
    this.rows = this.added = this.failed = 0
    this.report = null
    this.error = null
    this.#jobId = null
  }

  async run(file: File): Promise<void> {
    if (this.phase === 'running') return
    this.reset()
    this.#cancelled = false
    this.phase = 'running'
    this.fileName = file.name
    this.fileSize = file.size
    const outcome = await this.#import(file)
    this.#reader = null
    if (outcome === null || this.#cancelled) return
    if (outcome.ok) {
      this.report = outcome.value
      this.rows = outcome.value.rows
      this.added = outcome.value.added
      this.failed = outcome.value.failed
      this.phase = 'done'
      return
    }
    this.error = outcome.error
    this.phase = 'failed'
    if (this.#jobId) await api.invoke('import:cancel', { jobId: this.#jobId })
  }

  /** Start, chunks, finish: the report, or the first refusal; null once the operator cancelled. */
  async #import(file: File): Promise<Result<ImportReport> | null> {
    const started = await api.invoke('import:start', { fileName: file.name })
    if (!started.ok) return started
    const { jobId } = started.value
    this.#jobId = jobId
    if (this.#cancelled) {
      await this.#cancelOnCore(jobId)
      return null
    }
    const sent = await this.#send(file, jobId)
    if (this.#cancelled) return null
    if (!sent.ok) return sent
    this.bytesSent = file.size
    return api.invoke('import:finish', { jobId })
  }

  async cancel(): Promise<void> {
    if (this.phase !== 'running') return
    this.#cancelled = true
    this.phase = 'cancelled'
    void this.#reader?.cancel()
    if (this.#jobId) await this.#cancelOnCore(this.#jobId)
  }

  async #cancelOnCore(jobId: string): Promise<void> {
    const result = await api.invoke('import:cancel', { jobId })
    if (!result.ok) this.error = result.error
  }

  async #send(file: File, jobId: string): Promise<Result<unknown>> {
    // Streams the file so a large import never sits in memory whole; UTF-8 is decoded across chunk edges.
    const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader()
    this.#reader = reader
    const encoder = new TextEncoder()
    let buffer = ''
    let sent = 0
    for (;;) {
      let chunk: ReadableStreamReadResult<string>
      try {
        chunk = await reader.read()
      } catch (e) {
        // The file became unreadable (moved, permissions) while it was being read.
        return { ok: false, error: toErrorInfo(e) }
      }
      if (this.#cancelled) return { ok: true, value: null }
      if (chunk.value) buffer += chunk.value
      while (buffer.length >= CHUNK_CHARS || (chunk.done && buffer.length > 0)) {
        const end = chunkEnd(buffer, CHUNK_CHARS)
        const text = buffer.slice(0, end)
        buffer = buffer.slice(end)
        const result = await api.invoke('import:chunk', { jobId, text })
        if (!result.ok || this.#cancelled) return result
        sent += encoder.encode(text).byteLength
        this.bytesSent = Math.min(sent, file.size)
      }
      if (chunk.done) return { ok: true, value: null }
    }
  }
}

export const importJob = new ImportJob()
