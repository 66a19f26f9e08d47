/**
 * The team database as PouchDB's HTTP adapter sees it, signed in (docs/wire/couchdb-sync.md §2):
 *
 * - CouchDB user and password: PouchDB's own `auth` option, sent as Basic on every request (never in the URL, so never
 *   in an error message or a checkpoint id);
 * - Cloudant IAM: a `fetch` that adds `Authorization: Bearer <token>`; a 401 makes it fetch a new token once and
 *   send the request again (a token can be revoked or rotated before its time).
 *
 * The URL is checked like every URL credentials go to: https://, or http:// to this computer only.
 */
import PouchDB from 'pouchdb'
import { AppError } from '../common/errors'
import { assertSecureUrl } from '../http/secure-url'
import { createHttpClient } from '../http/http-client'
import { createIamTokens, type IamTokens } from '../historian/iam-token'
import type { BaseDoc } from '../store/documents'

export type RemoteDb = PouchDB.Database<BaseDoc>

export interface Remote {
  db: RemoteDb
  /** The database's URL without credentials (for messages and the audit trail). */
  url: string
  /** The server's root URL, for `_session`. */
  serverUrl: string
  close(): Promise<void>
}

export function remoteUrl(serverUrl: string, database: string): { server: string; db: string } {
  const base = assertSecureUrl(serverUrl)
  const server = base.href.replace(/\/+$/, '')
  return { server, db: `${server}/${encodeURIComponent(database)}` }
}

export type RemoteAuth = { kind: 'basic'; username: string; password: string } | { kind: 'iam'; iamUrl: string; apiKey: string; tokens?: IamTokens }

/** The IAM tokens of one API key, to keep across remotes: a token serves until shortly before it expires. */
export function iamTokensFor(iamUrl: string, apiKey: string): IamTokens {
  return createIamTokens(createHttpClient({ baseUrl: iamUrl, service: 'IBM Cloud IAM', maxAttempts: 1 }), apiKey)
}

function iamFetch(tokens: IamTokens): typeof fetch {
  return async (input, init) => {
    const send = async (): Promise<Response> => {
      const headers = new Headers(init?.headers)
      headers.set('authorization', `Bearer ${await tokens.token()}`)
      return fetch(input, { ...init, headers })
    }
    const first = await send()
    if (first.status !== 401) return first
    tokens.refresh()
    return send()
  }
}

export function openRemote(serverUrl: string, database: string, auth: RemoteAuth): Remote {
  const { server, db: url } = remoteUrl(serverUrl, database)
  const options: { auth: { username: string; password: string } } | { fetch: typeof fetch } =
    auth.kind === 'basic' ? { auth: { username: auth.username, password: auth.password } } : { fetch: iamFetch(auth.tokens ?? iamTokensFor(auth.iamUrl, auth.apiKey)) }
  // skip_setup: a missing database is reported (setup creates it), never created by whoever happens to sync first.
  const db = new PouchDB<BaseDoc>(url, { ...options, skip_setup: true })
  return { db, url, serverUrl: server, close: () => db.close() }
}

/** A request to the server through the database's signed-in fetch (a path starting with '/' is the server's). */
export async function serverJson(remote: Remote, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await (remote.db as unknown as { fetch(path: string, init: RequestInit): Promise<Response> }).fetch(path, {
    method: init.method ?? 'GET',
    // PouchDB adds its sign-in to these, so they must be a Headers object.
    headers: new Headers({ 'content-type': 'application/json', accept: 'application/json' }),
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>
  } catch {
    body = { reason: text.slice(0, 300) }
  }
  return { status: res.status, body }
}

/** The server's words for a refusal, as an AppError the operator can act on. */
export function remoteRefusal(status: number, body: Record<string, unknown>, what: string): AppError {
  const reason = String(body.reason ?? body.error ?? `HTTP ${status}`).slice(0, 300)
  if (status === 401)
    return AppError.withRef(
      'AUTH_FAILED',
      `The team server refused this computer's sign-in (it said: ${reason}). Check the user name and password (Settings → Team sync, or sync setup); if you joined with an invitation code, the invitation may have been revoked: ask an administrator for a new one.`,
      { key: 'sync.unauthorized', params: { reason } },
    )
  if (status === 403) return AppError.withRef('FORBIDDEN', `The sync server refused to ${what}: ${reason}`, { key: 'sync.forbidden', params: { reason } })
  if (status === 404)
    return AppError.withRef(
      'NOT_FOUND',
      `The team database does not exist yet. An administrator of the team server sets it up: Settings → Team sync → Set up the team database, or fieldline sync setup. (The server said: ${reason})`,
      { key: 'sync.noDatabase', params: { reason } },
    )
  return AppError.withRef('NETWORK', `The sync server answered HTTP ${status} when asked to ${what}: ${reason}`, { key: 'sync.serverError', params: { status, reason } })
}

/**
 * The database's document count and update sequence, or null when it does not exist. PouchDB's HTTP `info()` with
 * `skip_setup` resolves with the server's error body instead of rejecting, so the body is checked here.
 */
export async function remoteInfo(remote: Remote): Promise<{ docCount: number; updateSeq: unknown } | null> {
  const info = (await remote.db.info()) as unknown as { doc_count?: unknown; update_seq?: unknown; error?: unknown; reason?: unknown; status?: number }
  if (typeof info.doc_count === 'number') return { docCount: info.doc_count, updateSeq: info.update_seq }
  if (info.error === 'not_found') return null
  throw remoteRefusal(info.status ?? 500, info as Record<string, unknown>, 'read the database')
}

export async function remoteDocCount(remote: Remote): Promise<number | null> {
  return (await remoteInfo(remote))?.docCount ?? null
}
