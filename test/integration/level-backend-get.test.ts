import { join } from 'node:path'
import PouchDB from 'pouchdb'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BaseDoc } from '../../src-main/core/store/documents'
import { levelBackend } from '../../src-main/core/store/level-backend'
import { tempDir } from '../helpers/core'

type Callback = (error: Error | null, value?: unknown) => void
interface RawDown {
  open(options: object, callback: (error?: Error) => void): void
  close(callback: (error?: Error) => void): void
  _put(key: string, value: string, options: object, callback: (error?: Error) => void): void
  _get(key: string, options: object, callback: Callback): void
  _getMany(keys: string[], options: object, callback: (error: Error | null, values?: unknown[]) => void): void
}

const promised = <T>(run: (done: (error: Error | null | undefined, value?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))))

describe("the workspace's LevelDB gets", () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => cleanup?.())

  it('answers the gets of one tick with one getMany, each with its own value or NotFound', async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const down = levelBackend({ durable: false, readOnly: false })(join(tmp.dir, 'db')) as unknown as RawDown
    await promised((done) => down.open({ createIfMissing: true }, done))
    try {
      for (const k of ['a', 'b', 'c']) await promised((done) => down._put(k, `value of ${k}`, {}, done))
      const many = vi.spyOn(down, '_getMany')
      const get = (key: string, options: object) => promised<unknown>((done) => down._get(key, options, done)).then(String, (e: Error) => `error ${e.message}`)
      const answers = await Promise.all([get('a', { asBuffer: false }), get('missing', { asBuffer: false }), get('c', { asBuffer: false }), get('b', { asBuffer: true })])
      expect(answers).toEqual(['value of a', 'error NotFound: ', 'value of c', 'value of b'])
      // One call per set of options: the three text reads together, the buffer read alone.
      expect(many).toHaveBeenCalledTimes(2)
      expect(many.mock.calls.map((c) => c[0])).toEqual([['a', 'missing', 'c'], ['b']])
    } finally {
      await promised((done) => down.close(done))
    }
  })

  it("keeps PouchDB's bulkDocs answers: a new document is written, an existing one is a conflict", async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    const db = new PouchDB<BaseDoc>(join(tmp.dir, 'pouch'), { db: levelBackend({ durable: true, readOnly: false }) })
    try {
      await db.put({ _id: 'device:meter:1', kind: 'device', schemaVersion: 1 })
      const results = await db.bulkDocs(['device:meter:0', 'device:meter:1', 'device:meter:2'].map((_id) => ({ _id, kind: 'device', schemaVersion: 1 })))
      expect(results.map((r) => ('error' in r && r.error ? (r as PouchDB.Core.Error).status : 'ok'))).toEqual(['ok', 409, 'ok'])
      expect((await db.allDocs()).rows.map((r) => r.id)).toEqual(['device:meter:0', 'device:meter:1', 'device:meter:2'])
    } finally {
      await db.close()
    }
  })
})
