/**
 * Group commit for the forward queue's documents: a write asked for while another is in flight joins the next
 * `bulkDocs` call, so a burst of events costs a few synced writes instead of one each, and a lone write starts at once
 * (no added wait). Each caller gets its own documents' results, and is answered only once the call that carried them
 * is synced (the workspace's writes are durable): acknowledged still means on disk.
 */
import type { BaseDoc, Db } from '../store/documents'

type Result = PouchDB.Core.Response | PouchDB.Core.Error

interface Waiting {
  docs: object[]
  resolve: (results: Result[]) => void
  reject: (e: unknown) => void
}

export interface GroupWriter {
  write(docs: object[]): Promise<Result[]>
}

/** `maxDocs`: the most documents one call carries (1 writes every document alone). */
export function createGroupWriter(db: Db, maxDocs: number): GroupWriter {
  const queue: Waiting[] = []
  let flushing = false

  async function flush(): Promise<void> {
    flushing = true
    while (queue.length > 0) {
      const group: Waiting[] = [queue.shift()!]
      let size = group[0]!.docs.length
      while (queue.length > 0 && size + queue[0]!.docs.length <= maxDocs) {
        size += queue[0]!.docs.length
        group.push(queue.shift()!)
      }
      try {
        const results = await db.bulkDocs(group.flatMap((w) => w.docs) as BaseDoc[])
        let at = 0
        for (const w of group) {
          w.resolve(results.slice(at, at + w.docs.length))
          at += w.docs.length
        }
      } catch (e) {
        for (const w of group) w.reject(e)
      }
    }
    flushing = false
  }

  return {
    write(docs) {
      return new Promise<Result[]>((resolve, reject) => {
        queue.push({ docs, resolve, reject })
        if (!flushing) void flush()
      })
    },
  }
}
