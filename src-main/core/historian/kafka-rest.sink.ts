/**
 * Kafka over HTTPS, for networks that let no Kafka protocol out (docs/wire/couchdb-kafka.md §2.3), through the project's HTTP
 * factory:
 *
 * - IBM Event Streams REST producer v2: `POST <kafka_http_url>/v2/topics/<topic>/records`, one record per request,
 *   `{key: {type: "text", data}, value: {type: "json", data}, headers: [{name, value (base64)}]}`, authenticated with
 *   `Authorization: Bearer <API key>`. 200 is stored; the documented failures are 400, 401, 403 and 5xx. A device's
 *   records are sent one after the other (their order is their order in Kafka); different devices' records go in
 *   parallel, a few at a time.
 * - Confluent REST v3: `POST /v3/clusters/<cluster>/topics/<topic>/records:batch` `{entries: [{id, key, value,
 *   headers}]}` with HTTP Basic (API key and secret) answers 207 `{successes: [{id, …}], failures: [{id, error_code,
 *   message}]}`: each failure is judged by its own error_code (Confluent's codes put the HTTP status in front:
 *   40403 → 404 [I]).
 *
 * Every request is sent once by the factory; the destination retries. A 429 may come as an HTML page from the proxy in
 * front (Jetty): its status is what counts. 413 splits the batch; 401/403 stop; 404 (no such topic or cluster) stops.
 */
import { z } from 'zod'
import { createHttpClient, parseRetryAfter, type HttpResponse } from '../http/http-client'
import type { Logger } from '../log/logger'
import { DeliveryError, asDeliveryError, type Verdict } from './delivery-error'
import type { KafkaRecord, KafkaSendResult, KafkaSink } from './kafka-sink'

export interface RestKafkaOptions {
  api: 'eventstreams-v2' | 'confluent-v3'
  url: string
  /** Event Streams: the API key (Bearer). Confluent: the API secret, with `username` the API key (Basic). */
  password: string
  username?: string
  clusterId?: string
  ca?: string[]
  logger?: Logger
  /** Event Streams records sent at once (different devices). Default 8. */
  parallel?: number
}

const batchReply = z.object({
  successes: z.array(z.object({ id: z.string() }).loose()).default([]),
  failures: z.array(z.object({ id: z.string(), error_code: z.number(), message: z.string().optional() }).loose()).default([]),
})

function statusVerdict(status: number): Verdict {
  if (status === 429 || status >= 500) return 'retry'
  if (status === 413) return 'split'
  return 'stop'
}

function reasonOf(res: HttpResponse): string {
  if (res.isHtml()) return `HTTP ${res.status} (an HTML page)`
  const body = res.tryJson() as { message?: unknown; error_code?: unknown } | undefined
  const message = body && typeof body.message === 'string' ? body.message : ''
  return (message || `HTTP ${res.status}`).slice(0, 300)
}

/** A whole request's failure. */
export function restFailure(res: HttpResponse, service: string): DeliveryError {
  const reason = reasonOf(res)
  const verdict = statusVerdict(res.status)
  const params = { service, status: res.status, reason }
  const retryAfter = parseRetryAfter(res.headers['retry-after'])
  if (res.status === 401) return new DeliveryError('stop', 'AUTH_FAILED', `${service} refused the credentials: ${reason}`, { key: 'historian.restUnauthorized', params })
  if (res.status === 403) return new DeliveryError('stop', 'FORBIDDEN', `${service} forbids producing to this topic: ${reason}`, { key: 'historian.restForbidden', params })
  if (res.status === 429) return new DeliveryError('retry', 'RATE_LIMITED', `${service} asked to slow down`, { key: 'historian.restRateLimited', params }, retryAfter)
  if (verdict === 'retry') return new DeliveryError('retry', 'NETWORK', `${service} could not take the records: ${reason}`, { key: 'historian.restUnavailable', params }, retryAfter)
  if (verdict === 'split') return new DeliveryError('split', 'TOO_LARGE', `${service} found the request too large: ${reason}`, { key: 'historian.restTooLarge', params })
  if (res.status === 404) return new DeliveryError('stop', 'NOT_FOUND', `${service} has no such topic or cluster: ${reason}`, { key: 'historian.restNotFound', params })
  return new DeliveryError('stop', 'VALIDATION', `${service} refused the records: ${reason}`, { key: 'historian.restRefused', params })
}

/** A record's own failure in a 207: Confluent's five-digit codes begin with the HTTP status. */
function recordFailure(code: number, message: string): DeliveryError {
  const status = code >= 10_000 ? Math.floor(code / 100) : code
  const reason = `${code}${message ? ` ${message}` : ''}`.slice(0, 300)
  const params = { service: 'Confluent REST', status, reason }
  const verdict = statusVerdict(status)
  if (verdict === 'retry') return new DeliveryError('retry', status === 429 ? 'RATE_LIMITED' : 'NETWORK', `Confluent did not store a record: ${reason}`, { key: 'historian.restRecordFailed', params })
  // 413 for one record: it is too large on its own; the destination refuses it (a batch of one cannot be split).
  return new DeliveryError(verdict === 'split' ? 'split' : 'stop', verdict === 'split' ? 'TOO_LARGE' : 'VALIDATION', `Confluent refused a record: ${reason}`, {
    key: 'historian.restRecordFailed',
    params,
  })
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

export function createRestKafkaSink(options: RestKafkaOptions): KafkaSink {
  const service = options.api === 'eventstreams-v2' ? 'Event Streams REST' : 'Confluent REST'
  const http = createHttpClient({ baseUrl: options.url, service, maxAttempts: 1, ...(options.ca ? { ca: options.ca } : {}), ...(options.logger ? { logger: options.logger } : {}) })
  const authorization = options.api === 'eventstreams-v2' ? `Bearer ${options.password}` : `Basic ${Buffer.from(`${options.username ?? ''}:${options.password}`).toString('base64')}`
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization }
  const parallel = Math.max(1, options.parallel ?? 8)

  async function post(path: string, body: unknown): Promise<HttpResponse> {
    try {
      // Producing again what may have been stored is what at-least-once delivery means; the id header marks it.
      return await http.request({ method: 'POST', path, headers, body: JSON.stringify(body), idempotent: true, maxAttempts: 1 })
    } catch (e) {
      throw asDeliveryError(e)
    }
  }

  async function eventStreams(topic: string, records: readonly KafkaRecord[]): Promise<KafkaSendResult> {
    const path = `/v2/topics/${encodeURIComponent(topic)}/records`
    const failures: KafkaSendResult['failures'] = []
    // One chain per key keeps a device's records in order; chains run `parallel` at a time.
    const chains = new Map<string, number[]>()
    records.forEach((r, i) => {
      const list = chains.get(r.key)
      if (list) list.push(i)
      else chains.set(r.key, [i])
    })
    const queue = [...chains.values()]
    let fatal: DeliveryError | null = null
    async function worker(): Promise<void> {
      for (let chain = queue.shift(); chain && !fatal; chain = queue.shift()) {
        for (const [n, i] of chain.entries()) {
          const r = records[i] as KafkaRecord
          const body = {
            key: { type: 'text', data: r.key },
            value: { type: 'json', data: JSON.parse(r.value) as unknown },
            headers: Object.entries(r.headers).map(([name, value]) => ({ name, value: b64(value) })),
          }
          let error: DeliveryError | null = null
          try {
            const res = await post(path, body)
            if (res.status !== 200) error = restFailure(res, service)
          } catch (e) {
            error = asDeliveryError(e)
          }
          if (!error) continue
          if (error.verdict === 'stop') {
            fatal = error
            return
          }
          // The rest of this device's records wait behind the one that failed, so they cannot overtake it.
          for (const rest of chain.slice(n)) failures.push({ index: rest, error })
          break
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker))
    if (fatal) throw fatal
    return { failures }
  }

  async function confluent(topic: string, records: readonly KafkaRecord[]): Promise<KafkaSendResult> {
    const path = `/v3/clusters/${encodeURIComponent(options.clusterId ?? '')}/topics/${encodeURIComponent(topic)}/records:batch`
    const entries = records.map((r, i) => ({
      id: String(i),
      headers: Object.entries(r.headers).map(([name, value]) => ({ name, value: b64(value) })),
      key: { type: 'STRING', data: r.key },
      value: { type: 'JSON', data: JSON.parse(r.value) as unknown },
      timestamp: new Date(r.timestamp).toISOString(),
    }))
    const res = await post(path, { entries })
    if (res.status === 200 || res.status === 207) {
      const parsed = batchReply.safeParse(res.tryJson())
      if (!parsed.success) throw new DeliveryError('retry', 'NETWORK', `${service} answered in an unexpected form`, { key: 'historian.restBadAnswer', params: { service } })
      const reported = new Set<string>([...parsed.data.successes.map((s) => s.id), ...parsed.data.failures.map((f) => f.id)])
      const failures: KafkaSendResult['failures'] = parsed.data.failures
        .map((f) => ({ index: Number(f.id), error: recordFailure(f.error_code, f.message ?? '') }))
        .filter((f) => Number.isInteger(f.index) && f.index >= 0 && f.index < records.length)
      // A record the answer does not mention was not confirmed: send it again.
      for (let i = 0; i < records.length; i++) {
        if (!reported.has(String(i)))
          failures.push({ index: i, error: new DeliveryError('retry', 'NETWORK', `${service} did not report a record`, { key: 'historian.restBadAnswer', params: { service } }) })
      }
      return { failures }
    }
    throw restFailure(res, service)
  }

  return {
    send: (topic, records) => (options.api === 'eventstreams-v2' ? eventStreams(topic, records) : confluent(topic, records)),
    // Neither REST producer documents a call that reads without producing (docs/wire/couchdb-kafka.md §2.3): the settings are checked
    // when saved, the credentials only by the first record.
    verify: () => Promise.resolve(`${http.baseUrl.origin}: not contacted (the REST producer has no read-only call; the first event checks the credentials)`),
    close: () => http.close(),
  }
}
