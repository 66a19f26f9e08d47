/**
 * Kafka over HTTP on 127.0.0.1, written from docs/wire/couchdb-kafka.md §2.3 (the documented schemas), for the historian's REST
 * producers: IBM Event Streams' REST producer v2 and Confluent REST v3. Records are kept per topic and partition.
 *
 * Event Streams v2 — `POST /v2/topics/{topic}/records`, `Authorization: Bearer <API key>` (the 2019 form Basic
 * `token:<API key>` is accepted too), JSON `{key?: {type, data}, value: {type, data}, headers?: [{name, value
 * (base64)}]}` with type text|binary|json|avro. Answers 200 `{topic, partition, offset}` [I: the 200 body's fields],
 * 400 for a body that breaks the schema, 401 without a valid key, 403 for a key without write access, 404 for a topic
 * that does not exist [I: the spec lists 200/400/401/403/5xx only], 5xx injected.
 *
 * Confluent v3 — `Authorization: Basic <key:secret>`, `Content-Type: application/json` (else 415), cluster id checked
 * (404 error_code 404), topic checked (404 error_code 40403):
 * - `POST /v3/clusters/{c}/topics/{t}/records`: one or several records as concatenated JSON objects `{partition_id?,
 *   headers, key: {type: BINARY|JSON|STRING, data}, value, timestamp?}`; 200 with one delivery report per record,
 *   concatenated, in order, each with its own `error_code` (200 = stored);
 * - `POST …/records:batch` `{entries: [{id, …record}]}` → 207 `{successes: [{id, …report}], failures: [{id,
 *   error_code, message}]}`.
 * Errors elsewhere: `{error_code, message}` JSON; a 429 as Jetty's HTML page (the spec: "the 429 body may be Jetty
 * HTML"); 413 above `maxRequestBytes` [I: the limit, 1 MiB by default here; Confluent documents none in the spec].
 *
 * Partitions: `hash(key) mod partitions` (the same key, the same partition; the hash is ours [I]). Faults are switched
 * per test: a status for the next requests, or per-record failures with a code for the next records.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { restartableServer } from '../restartable-server'

export interface KafkaRestPeerOptions {
  /** Event Streams API keys; 'writer' may produce, 'reader' gets 403. Default { 'es-test-key': 'writer' }. */
  eventStreamsKeys?: Record<string, 'writer' | 'reader'>
  /** Confluent API key and secret. Default ck-test / cs-test-secret. */
  confluent?: { key: string; secret: string; clusterId: string }
  topics?: string[]
  partitions?: number
  maxRequestBytes?: number
}

export interface StoredRecord {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: unknown
  headers: Record<string, string>
  via: 'eventstreams-v2' | 'confluent-v3'
}

export type RestFault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503; html?: boolean; retryAfterSeconds?: number; times?: number }
  /** The next records (Confluent) fail with this code instead of being stored. */
  | { kind: 'recordError'; errorCode: number; message: string; times?: number }

export interface KafkaRestPeer {
  url: string
  confluent: { key: string; secret: string; clusterId: string }
  fault(f: RestFault): void
  records(topic?: string): StoredRecord[]
  requests(): { method: string; path: string; status: number }[]
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const V2_TYPES = new Set(['text', 'binary', 'json', 'avro'])
const V3_TYPES = new Set(['BINARY', 'JSON', 'STRING'])

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
  return status
}

function jettyHtml(res: ServerResponse, status: number, reason: string, headers: Record<string, string> = {}): number {
  const page = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n<title>Error ${status} ${reason}</title>\n</head>\n<body><h2>HTTP ERROR ${status} ${reason}</h2>\n<table>\n<tr><th>URI:</th><td>/</td></tr>\n<tr><th>STATUS:</th><td>${status}</td></tr>\n</table>\n</body>\n</html>\n`
  res.writeHead(status, { 'content-type': 'text/html;charset=iso-8859-1', ...headers })
  res.end(page)
  return status
}

/** Concatenated JSON objects (Confluent's streaming form) as an array; null when the text is not that. */
export function splitConcatenatedJson(text: string): unknown[] | null {
  const out: unknown[] = []
  let depth = 0
  let start = -1
  let inString = false
  let escaped = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (escaped) escaped = false
      else if (c === '\\') escaped = true
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '{') {
      if (depth === 0) start = i
      depth++
    } else if (c === '}') {
      depth--
      if (depth < 0) return null
      if (depth === 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)))
        } catch {
          return null
        }
      }
    } else if (depth === 0 && !/\s/.test(c ?? '')) return null
  }
  return depth === 0 && !inString ? out : null
}

function decodeB64(value: unknown): string | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return null
  return Buffer.from(value, 'base64').toString('utf8')
}

export async function startKafkaRestPeer(options: KafkaRestPeerOptions = {}): Promise<KafkaRestPeer> {
  const esKeys = options.eventStreamsKeys ?? { 'es-test-key': 'writer' }
  const confluent = options.confluent ?? { key: 'ck-test', secret: 'cs-test-secret', clusterId: 'lkc-test' }
  const topics = new Set(options.topics ?? ['events'])
  const partitions = options.partitions ?? 3
  const maxRequest = options.maxRequestBytes ?? 1024 * 1024
  const stored: StoredRecord[] = []
  const offsets = new Map<string, number>()
  const log: { method: string; path: string; status: number }[] = []
  let faults: (RestFault & { left: number })[] = []

  function take<K extends RestFault['kind']>(kind: K): Extract<RestFault, { kind: K }> | null {
    const f = faults.find((x) => x.kind === kind && x.left > 0)
    if (!f) return null
    f.left--
    faults = faults.filter((x) => x.left > 0)
    return f as unknown as Extract<RestFault, { kind: K }>
  }

  function partitionOf(key: string | null): number {
    if (key === null) return 0
    return createHash('md5').update(key).digest().readUInt32BE(0) % partitions
  }

  function append(topic: string, key: string | null, value: unknown, headers: Record<string, string>, via: StoredRecord['via']): StoredRecord {
    const partition = partitionOf(key)
    const slot = `${topic}/${partition}`
    const offset = offsets.get(slot) ?? 0
    offsets.set(slot, offset + 1)
    const r = { topic, partition, offset, key, value, headers, via }
    stored.push(r)
    return r
  }

  async function body(req: IncomingMessage): Promise<string | null> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const c of req) {
      size += (c as Buffer).length
      if (size > maxRequest) return null
      chunks.push(c as Buffer)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  function headersOf(list: unknown): Record<string, string> | null {
    if (list === undefined) return {}
    if (!Array.isArray(list)) return null
    const out: Record<string, string> = {}
    for (const h of list) {
      const name = (h as { name?: unknown }).name
      const value = decodeB64((h as { value?: unknown }).value)
      if (typeof name !== 'string' || value === null) return null
      out[name] = value
    }
    return out
  }

  /** Event Streams v2: one record, or a 400 naming what is wrong. */
  function v2Record(raw: unknown): { key: string | null; value: unknown; headers: Record<string, string> } | string {
    if (typeof raw !== 'object' || raw === null) return 'the body must be a JSON object'
    const r = raw as { key?: { type?: unknown; data?: unknown }; value?: { type?: unknown; data?: unknown }; headers?: unknown }
    if (!r.value || !V2_TYPES.has(String(r.value.type)) || r.value.data === undefined) return 'value must be {type: text|binary|json|avro, data}'
    if (r.key && (!V2_TYPES.has(String(r.key.type)) || r.key.data === undefined)) return 'key must be {type: text|binary|json|avro, data}'
    const headers = headersOf(r.headers)
    if (!headers) return 'headers must be [{name, value (base64)}]'
    return { key: r.key ? String(r.key.data) : null, value: r.value.data, headers }
  }

  async function eventStreams(req: IncomingMessage, res: ServerResponse, topic: string): Promise<number> {
    const auth = req.headers.authorization ?? ''
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : auth.startsWith('Basic ') ? /^token:(.*)$/.exec(Buffer.from(auth.slice(6), 'base64').toString())?.[1] : undefined
    const role = key ? esKeys[key] : undefined
    if (!role) return json(res, 401, { error_code: 401, message: 'Unauthorized' })
    if (role !== 'writer') return json(res, 403, { error_code: 403, message: 'Forbidden: not authorized to write to the topic' })
    const status = take('status')
    if (status)
      return json(res, status.status, { error_code: status.status, message: 'injected failure' }, status.retryAfterSeconds !== undefined ? { 'retry-after': String(status.retryAfterSeconds) } : {})
    const text = await body(req)
    if (text === null) return json(res, 413, { error_code: 413, message: 'Request entity too large' })
    if (!topics.has(topic)) return json(res, 404, { error_code: 404, message: `Topic ${topic} not found` })
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return json(res, 400, { error_code: 400, message: 'the body is not JSON' })
    }
    const record = v2Record(parsed)
    if (typeof record === 'string') return json(res, 400, { error_code: 400, message: record })
    const r = append(topic, record.key, record.value, record.headers, 'eventstreams-v2')
    return json(res, 200, { topic, partition: r.partition, offset: r.offset })
  }

  /** Confluent v3: one record stored or its own failure. */
  function v3Produce(topic: string, raw: unknown): { error_code: number; message?: string; partition_id?: number; offset?: number } {
    const fault = take('recordError')
    if (fault) return { error_code: fault.errorCode, message: fault.message }
    const r = raw as { key?: { type?: unknown; data?: unknown }; value?: { type?: unknown; data?: unknown }; headers?: unknown }
    if (typeof raw !== 'object' || raw === null || !r.value || !V3_TYPES.has(String(r.value.type))) return { error_code: 400, message: 'value must be {type: BINARY|JSON|STRING, data}' }
    if (r.key && !V3_TYPES.has(String(r.key.type))) return { error_code: 400, message: 'key must be {type: BINARY|JSON|STRING, data}' }
    const headers = headersOf(r.headers)
    if (!headers) return { error_code: 400, message: 'headers must be [{name, value (base64)}]' }
    const key = r.key ? (r.key.type === 'BINARY' ? decodeB64(r.key.data) : typeof r.key.data === 'string' ? r.key.data : JSON.stringify(r.key.data)) : null
    const value = r.value.type === 'BINARY' ? decodeB64(r.value.data) : r.value.data
    const s = append(topic, key, value, headers, 'confluent-v3')
    return { error_code: 200, partition_id: s.partition, offset: s.offset }
  }

  async function confluentApi(req: IncomingMessage, res: ServerResponse, cluster: string, topic: string, batch: boolean): Promise<number> {
    const expected = `Basic ${Buffer.from(`${confluent.key}:${confluent.secret}`).toString('base64')}`
    if (req.headers.authorization !== expected) return json(res, 401, { error_code: 40101, message: 'Authentication failed' })
    const status = take('status')
    if (status) {
      const headers: Record<string, string> = status.retryAfterSeconds !== undefined ? { 'retry-after': String(status.retryAfterSeconds) } : {}
      if (status.html || status.status === 429) return jettyHtml(res, status.status, status.status === 429 ? 'Too Many Requests' : 'Service Unavailable', headers)
      return json(res, status.status, { error_code: status.status, message: 'injected failure' }, headers)
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error_code: 415, message: 'Unsupported Media Type' })
    const text = await body(req)
    if (text === null) return json(res, 413, { error_code: 413, message: 'Request entity too large' })
    if (cluster !== confluent.clusterId) return json(res, 404, { error_code: 404, message: `Cluster ${cluster} cannot be found.` })
    if (!topics.has(topic)) return json(res, 404, { error_code: 40403, message: 'This server does not host this topic-partition.' })
    const base = { cluster_id: cluster, topic_name: topic }
    if (batch) {
      let parsed: { entries?: unknown }
      try {
        parsed = JSON.parse(text) as { entries?: unknown }
      } catch {
        return json(res, 400, { error_code: 400, message: 'the body is not JSON' })
      }
      if (!Array.isArray(parsed.entries) || parsed.entries.some((e) => typeof (e as { id?: unknown }).id !== 'string'))
        return json(res, 400, { error_code: 400, message: 'entries must be [{id, …record}]' })
      const successes: unknown[] = []
      const failures: unknown[] = []
      for (const entry of parsed.entries as { id: string }[]) {
        const r = v3Produce(topic, entry)
        if (r.error_code === 200) successes.push({ id: entry.id, ...base, partition_id: r.partition_id, offset: r.offset })
        else failures.push({ id: entry.id, error_code: r.error_code, message: r.message })
      }
      return json(res, 207, { successes, failures })
    }
    const records = splitConcatenatedJson(text)
    if (!records || records.length === 0) return json(res, 400, { error_code: 400, message: 'the body must be one or more JSON records' })
    const reports = records.map((r) => {
      const out = v3Produce(topic, r)
      return out.error_code === 200 ? { error_code: 200, ...base, partition_id: out.partition_id, offset: out.offset } : { error_code: out.error_code, message: out.message }
    })
    const payload = reports.map((r) => JSON.stringify(r)).join('')
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
    res.end(payload)
    return 200
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (req.method !== 'POST') return json(res, 405, { error_code: 405, message: 'Method Not Allowed' })
    const v2 = /^\/v2\/topics\/([^/]+)\/records$/.exec(path)
    if (v2) return eventStreams(req, res, decodeURIComponent(v2[1] ?? ''))
    const v3 = /^\/v3\/clusters\/([^/]+)\/topics\/([^/]+)\/records(:batch)?$/.exec(path)
    if (v3) return confluentApi(req, res, decodeURIComponent(v3[1] ?? ''), decodeURIComponent(v3[2] ?? ''), v3[3] !== undefined)
    return json(res, 404, { error_code: 404, message: 'HTTP 404 Not Found' })
  }

  const server = await restartableServer((req, res) => {
    handle(req, res).then(
      (status) => log.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', status }),
      () => {
        if (!res.headersSent) json(res, 500, { error_code: 500, message: 'the test peer failed' })
      },
    )
  })
  return {
    url: server.url,
    confluent,
    fault(f) {
      faults.push({ ...f, left: f.times ?? 1 })
    },
    records: (topic) => stored.filter((r) => !topic || r.topic === topic),
    requests: () => [...log],
    stop: () => server.stop(),
    start: () => server.start(),
    close: () => server.stop(),
  }
}
