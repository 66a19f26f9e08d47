import { randomUUID } from 'node:crypto'
import { AppError } from './errors'

/** A stretch of an export file and how many rows it holds (a header holds none). */
export interface ExportPart {
  data: string
  rows: number
}

export interface ExportJobsOptions {
  /** Told when an abandoned export could not be closed. */
  onCloseError: (error: unknown) => void
  /** Text handed out per `next`: well under a serve-mode frame, big enough that a million rows take a few hundred calls. */
  chunkChars?: number
  /** Exports running at once; each may hold a walk through an index open. */
  max?: number
  /** An export nobody reads for this long (a closed window) is ended. */
  idleMs?: number
}

interface Job {
  parts: AsyncGenerator<ExportPart, void, undefined>
  written: number
  total: number
  idle: NodeJS.Timeout
}

/**
 * The exports in progress, whatever they list (devices, SIMs): each is a generator of parts read as the client asks
 * (`export:next`), so a file of a million rows is never held whole; the client's Cancel, a finished file or an idle
 * timeout ends the generator, which closes whatever it walks.
 */
export function createExportJobs(options: ExportJobsOptions) {
  const chunkChars = options.chunkChars ?? 512 * 1024
  const max = options.max ?? 4
  const idleMs = options.idleMs ?? 10 * 60 * 1000
  const jobs = new Map<string, Job>()

  async function end(jobId: string): Promise<boolean> {
    const job = jobs.get(jobId)
    if (!job) return false
    jobs.delete(jobId)
    clearTimeout(job.idle)
    await job.parts.return(undefined)
    return true
  }

  return {
    /** Refuses a new export while `max` are running; call before doing the work of opening one. */
    assertRoom(): void {
      if (jobs.size >= max) throw AppError.withRef('RATE_LIMITED', `${max} exports are running already; finish or cancel one first`, { key: 'devices.export.tooMany', params: { max } })
    },

    start(total: number, parts: AsyncGenerator<ExportPart, void, undefined>): { jobId: string; total: number } {
      const jobId = randomUUID()
      const idle = setTimeout(() => void end(jobId).catch(options.onCloseError), idleMs)
      idle.unref?.()
      jobs.set(jobId, { parts, written: 0, total, idle })
      return { jobId, total }
    },

    /** The next part of the file; the job ends itself once the last part is out. */
    async next(jobId: string): Promise<{ data: string; rows: number; total: number; done: boolean }> {
      const job = jobs.get(jobId)
      if (!job) throw AppError.withRef('NOT_FOUND', `No export in progress with id ${jobId}`, { key: 'devices.export.noJob' })
      job.idle.refresh()
      let data = ''
      let done = false
      try {
        while (data.length < chunkChars) {
          const next = await job.parts.next()
          if (next.done) {
            done = true
            break
          }
          data += next.value.data
          job.written += next.value.rows
        }
      } catch (e) {
        // A part that failed ends the export: a generator that threw is finished, so a later `next` would say
        // "done" over a file cut short; the client is told and its slot is free for a new try.
        await end(jobId).catch(options.onCloseError)
        throw e
      }
      if (done) await end(jobId)
      return { data, rows: job.written, total: Math.max(job.total, job.written), done }
    },

    cancel: (jobId: string): Promise<boolean> => end(jobId),

    async close(): Promise<void> {
      await Promise.all([...jobs.keys()].map((id) => end(id)))
    },
  }
}

export type ExportJobs = ReturnType<typeof createExportJobs>
