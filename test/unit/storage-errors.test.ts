import { describe, expect, it } from 'vitest'
import { createDispatcher, type Handlers } from '../../src-main/core/ipc/dispatcher'
import { storageError, storageProblem } from '../../src-main/core/common/storage-errors'

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code })

describe('storage failures', () => {
  it('recognises a full disk and an unwritable folder from fs error codes and from LevelDB text', () => {
    expect(storageProblem(errno('ENOSPC'))).toBe('full')
    expect(storageProblem(errno('EDQUOT'))).toBe('full')
    expect(storageProblem(new Error('IO error: /d/workspace/000003.log: No space left on device'))).toBe('full')
    expect(storageProblem(errno('EROFS'))).toBe('read-only')
    expect(storageProblem(new Error('IO error: /d/workspace/LOCK: Read-only file system'))).toBe('read-only')
    expect(storageProblem(new Error('IO error: lock /d/workspace/LOCK: Resource temporarily unavailable'))).toBeUndefined()
    expect(storageProblem('ENOSPC')).toBeUndefined()
    expect(storageProblem(null)).toBeUndefined()
  })

  it('turns a write that failed for lack of space into DISK_FULL with a translated message, not INTERNAL', async () => {
    const internal: unknown[] = []
    const handlers = { 'devices:remove': () => Promise.reject(new Error('IO error: /data/workspace/000007.log: No space left on device')) } as unknown as Handlers
    const dispatcher = createDispatcher(handlers, { onInternalError: (_c, e) => internal.push(e), describeFailure: (e) => storageError(e, '/data') })
    expect(await dispatcher.invoke('devices:remove', { typeId: 't', deviceId: 'd' })).toEqual({
      ok: false,
      error: { code: 'DISK_FULL', message: 'The disk holding /data is full, so the change was not saved', details: { ref: { key: 'errors.diskFull', params: { dir: '/data' } } } },
    })
    expect(internal).toEqual([])
  })
})
