/**
 * Error paths of serve mode that no client can reach on purpose: they are there so that a broken promise inside
 * the core still ends as an answer and a log line, never as an unhandled rejection.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { Core } from '../../src-main/core/app'
import { EventBus } from '../../src-main/core/common/events'
import { startServe, type ServeHandle } from '../../src-main/serve/server'
import { tempDir } from '../helpers/core'
import { invoke, placeholderRenderer } from '../helpers/serve-process'

describe('serve mode when the core breaks its promises', () => {
  let handle: ServeHandle | undefined
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await handle?.close()
    await cleanup?.()
  })

  it('answers INTERNAL and logs when the dispatcher rejects instead of returning a Result', async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    const warnings: { fields: Record<string, unknown>; message: string }[] = []
    const logger = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) }
    const core = { bus: new EventBus(), logger, dispatcher: { invoke: () => Promise.reject(new TypeError('e.toInfo is not a function')) } } as unknown as Core
    handle = await startServe({ core, rendererDir: await placeholderRenderer(t.dir) })
    const origin = `http://127.0.0.1:${handle.port}`
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${handle!.port}/ipc?token=${handle!.token}`, { origin })
      socket.once('open', () => resolve(socket))
      socket.once('error', reject)
    })
    expect(await invoke(ws, 7, 'devices:list', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Unexpected failure in devices:list' } })
    expect(warnings).toEqual([{ message: 'serve: an error on a connection', fields: { kind: 'dispatch', channel: 'devices:list', error: 'TypeError' } }])
    ws.close()
  })
})
