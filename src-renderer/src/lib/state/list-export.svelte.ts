import type { ErrorInfo, Result } from '../../../../src-shared/contract'
import type { DeviceSelection, ListColumn } from '../../../../src-shared/models/device-query'
import { EXPORT_MEDIA_TYPES, exportFileStart, type ExportFormat } from '../../../../src-shared/models/export-format'
import type { Api } from '../api'

export type { ExportFormat }
export type ExportPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'failed'

type Started = Result<{ jobId: string; total: number }>

/**
 * An export of a list (devices, SIMs), started by the list's own channel, then read from the core part by part
 * (`export:next`, at most 512 KiB each) into a file that grows as Blob parts, with its progress; Cancel ends the
 * core's job too. One export at a time per exporter.
 */
export class ListExport {
  phase = $state<ExportPhase>('idle')
  rows = $state(0)
  /** Null until the core has counted the rows (its answer to the start): no count may be said before it. */
  total = $state<number | null>(null)
  error = $state.raw<ErrorInfo | null>(null)
  #jobId: string | null = null
  #run = 0

  constructor(protected readonly source: Pick<Api, 'invoke'>) {}

  /** The file, once every part is in; null when the export was cancelled, replaced or refused (see `error`). */
  protected async stream(format: ExportFormat, start: () => Promise<Started>): Promise<Blob | null> {
    const run = ++this.#run
    // A new export replaces one still running: the core's job ends too, or it would hold one of its few slots.
    void this.#end()
    this.phase = 'running'
    this.rows = 0
    this.total = null
    this.error = null
    const started = await start()
    if (run !== this.#run) {
      if (started.ok) void this.source.invoke('export:cancel', { jobId: started.value.jobId })
      return null
    }
    if (!this.#accept(started)) return null
    const jobId = started.value.jobId
    this.#jobId = jobId
    this.total = started.value.total
    // A CSV file starts with UTF-8's byte-order mark, for Excel (src-shared/models/export-format.ts).
    const parts: Blob[] = [new Blob([exportFileStart(format)])]
    for (;;) {
      const next = await this.source.invoke('export:next', { jobId })
      if (run !== this.#run) return null
      if (!this.#accept(next)) {
        // The core ends a job whose part failed; a part lost on the way (a dropped connection) leaves it running.
        void this.source.invoke('export:cancel', { jobId })
        return null
      }
      // Each part leaves the JavaScript heap as a Blob: a million rows do not sit in one string.
      parts.push(new Blob([next.value.data]))
      this.rows = next.value.rows
      this.total = next.value.total
      if (next.value.done) break
    }
    this.#jobId = null
    this.phase = 'done'
    return new Blob(parts, { type: EXPORT_MEDIA_TYPES[format] })
  }

  /** Forgets how the last export ended (its notice), once the list shows another view: it spoke of the one before. */
  forget(): void {
    if (this.phase === 'running') return
    this.phase = 'idle'
    this.error = null
  }

  /** Stops the export here and in the core; the part on its way is dropped. */
  async cancel(): Promise<void> {
    if (this.phase !== 'running') return
    this.#run++
    this.phase = 'cancelled'
    await this.#end()
  }

  async #end(): Promise<void> {
    const jobId = this.#jobId
    this.#jobId = null
    if (jobId) await this.source.invoke('export:cancel', { jobId })
  }

  #accept<T>(result: Result<T>): result is { ok: true; value: T } {
    if (result.ok) return true
    this.error = result.error
    this.phase = 'failed'
    this.#jobId = null
    return false
  }
}

/** An export of the device list: the selection with the view's columns. */
export class DeviceExport extends ListExport {
  run(selection: DeviceSelection, columns: ListColumn[], format: ExportFormat): Promise<Blob | null> {
    return this.stream(format, () => this.source.invoke('export:start', { selection, columns, format }))
  }
}
