/**
 * The CouchDB destination sends three `_bulk_docs` at once (couch.sink.ts `concurrency`) so that the database is never
 * left waiting between a batch's answer and the next request. The HTTP factory keeps changes to one resource in order,
 * which put every batch for a bucket database behind the one before it: the benchmark's server saw one request in flight
 * at most (idle 48 % of the run, against 1–4 % with the plain writer) and the forwarder ran at half the plain writer's
 * rate. Batches of documents with their own ids have no order between them, so the client asks for none.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createCouchClient } from '../../src-main/core/historian/couch.client'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A server that holds every `_bulk_docs` until told to answer, and says how many it holds. */
async function holdingServer(): Promise<{ url: string; held(): number; release(): void }> {
  let waiting: { req: IncomingMessage; res: ServerResponse; body: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => waiting.push({ req, res, body }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  cleanups.push(() => server.closeAllConnections())
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => waiting.length,
    release() {
      for (const w of waiting.splice(0)) {
        const docs = (JSON.parse(w.body) as { docs: { _id: string }[] }).docs
        w.res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(docs.map((d) => ({ id: d._id, rev: '1-a' }))))
      }
      waiting = []
    },
  }
}

/** Polls until `check` holds or `ms` have passed; the caller then asserts on what it sees. */
async function within(ms: number, check: () => boolean): Promise<void> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
}

describe('CouchDB batches in flight side by side', () => {
  it('sends three _bulk_docs to the same database without waiting for the answer to the one before', async () => {
    const server = await holdingServer()
    const client = createCouchClient({ url: server.url, auth: { kind: 'basic', username: 'u', password: 'p' } })
    cleanups.push(() => client.close())
    const batches = [0, 1, 2].map((b) => client.bulkDocs('iotp_o_n_2026-12-05', [{ _id: `o:t:d:${b}` }]))
    await within(5_000, () => server.held() === 3)
    const held = server.held()
    // Answered one round at a time, however many come together, so that the check above fails cleanly instead of hanging.
    let done = false
    const all = Promise.all(batches).finally(() => (done = true))
    while (!done) {
      server.release()
      await within(5_000, () => done || server.held() > 0)
    }
    const rows = await all
    expect(held).toBe(3)
    expect(rows.map((r) => r[0]?.id)).toEqual(['o:t:d:0', 'o:t:d:1', 'o:t:d:2'])
  })
})
