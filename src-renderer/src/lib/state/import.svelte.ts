import type { ErrorInfo, ImportReport } from '../../../../src-shared/contract'
import { MAX_IMPORT_CHUNK_BYTES } from '../../../../src-shared/models/limits'
import { api } from '../api'
import { toBridgeError } from '../errors'

/**
 * Well under the contract's hard cap, so one call stays short and progress moves smoothly: a UTF-16 code unit is
 * at most three bytes of UTF-8, so a quarter of the cap in characters always fits.
 */
const CHUNK_CHARS = MAX_IMPORT_CHUNK_BYTES / 4

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
    try {
      const { jobId } = await api.call('import:start', { fileName: file.name })
      this.#jobId = jobId
      if (this.#cancelled) return await this.#cancelOnCore(jobId)
      await this.#send(file, jobId)
      if (this.#cancelled) return
      this.bytesSent = file.size
      const report = await api.call('import:finish', { jobId })
      if (this.#cancelled) return
      this.report = report
      this.rows = report.rows
      this.added = report.added
      this.failed = report.failed
      this.phase = 'done'
    } catch (e) {
      if (this.#cancelled) return
      this.error = toBridgeError(e)
      this.phase = 'failed'
      if (this.#jobId) await api.invoke('import:cancel', { jobId: this.#jobId })
    } finally {
      this.#reader = null
    }
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

  async #send(file: File, jobId: string): Promise<void> {
    // Streams the file so a large import never sits in memory whole; UTF-8 is decoded across chunk edges.
    const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader()
    this.#reader = reader
    const encoder = new TextEncoder()
    let buffer = ''
    let sent = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (this.#cancelled) return
      if (value) buffer += value
      while (buffer.length >= CHUNK_CHARS || (done && buffer.length > 0)) {
        const end = chunkEnd(buffer, CHUNK_CHARS)
        const text = buffer.slice(0, end)
        buffer = buffer.slice(end)
        await api.call('import:chunk', { jobId, text })
        if (this.#cancelled) return
        sent += encoder.encode(text).byteLength
        this.bytesSent = Math.min(sent, file.size)
      }
      if (done) return
    }
  }
}

export const importJob = new ImportJob()
