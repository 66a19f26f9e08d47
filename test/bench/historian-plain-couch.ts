/**
 * The benchmark's plain `_bulk_docs` writing, shared by the plain writer (historian.bench.ts) and the plain MQTT →
 * CouchDB bridge (historian-plain-child.ts): the forwarder's documents (couch.sink.ts), and every row of the answer read
 * as the forwarder reads it (stored, or a conflict on an id sent before) — a plain writer that skipped that would do
 * less than the job.
 */
import { eventDocument } from '../../src-main/core/historian/couch.sink'
import type { HistorianEvent } from '../../src-main/core/historian/event'

/** An IAM token from the CouchDB peer's front, for the bench's API key. */
export async function couchToken(url: string): Promise<string> {
  const res = await fetch(`${url}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=bench-key',
  })
  return ((await res.json()) as { access_token: string }).access_token
}

/** A database's URL and the headers to write to it (created if missing). */
export async function plainDatabase(url: string, name: string): Promise<{ db: string; headers: Record<string, string> }> {
  const headers = { authorization: `Bearer ${await couchToken(url)}`, 'content-type': 'application/json' }
  const db = `${url}/${name}`
  await fetch(db, { method: 'PUT', headers })
  return { db, headers }
}

/** One `_bulk_docs`; throws unless every event's row says stored (or a conflict on an id sent before). */
export async function plainBulkDocs(target: { db: string; headers: Record<string, string> }, events: readonly HistorianEvent[]): Promise<void> {
  const docs = events.map((e) => eventDocument(e, 'UTC'))
  const res = await fetch(`${target.db}/_bulk_docs`, { method: 'POST', headers: target.headers, body: JSON.stringify({ docs }) })
  if (res.status !== 201) throw new Error(`plain _bulk_docs: HTTP ${res.status}`)
  const rows = (await res.json()) as { id?: string; rev?: string; error?: string }[]
  const stored = new Set(rows.filter((r) => r.rev || r.error === 'conflict').map((r) => r.id))
  if (!events.every((e) => stored.has(e.id))) throw new Error('plain _bulk_docs: a row was not stored')
}
