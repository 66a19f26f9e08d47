/**
 * `fieldline serve --port N` on a port another program holds: the operator is told which port, that it is taken and what
 * to do, not Node's `listen EADDRINUSE: address already in use` (cold trial); the data folder is free again at once.
 */
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli-process'
import { tempDir } from '../helpers/core'

describe('serve on a port in use', () => {
  let holder: Server
  let port: number
  let dir: string
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    port = (holder.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve))
    await cleanup()
  })

  it('says the port is taken and what to do, exits 1, and leaves the data folder free', async () => {
    const run = await runCli(dir, ['serve', '--port', String(port)])
    expect(run).toMatchObject({
      code: 1,
      out: '',
      err: `fieldline: port ${port} on 127.0.0.1 is already in use (another program, or another fieldline serve): choose another --port, or leave it out to take a free one\n`,
    })
    expect((await runCli(dir, ['devices', 'count'])).code).toBe(0)
  }, 60_000)
})
