/**
 * The Watson IoT Platform REST API v0002, as far as Fieldline uses it: the custom device-management packages
 * ("bundles", docs/wire/dm-packages.md §4 "REST"). Through the one HTTP factory (http/http-client.ts): its TLS policy,
 * timeouts, redacted logs, and its rule that a POST is repeated only when the platform certainly did not act on it.
 * HTTP basic auth with the application's API key and auth token, the credentials of the profile's MQTT link
 * (docs/wire/dm-packages.md §4 "REST").
 */
import { z } from 'zod'
import type { DmPackage } from '../../../src-shared/models/packages'
import { createHttpClient, type HttpClient, type HttpResponse, type HttpTimeouts } from '../http/http-client'
import type { Logger } from '../log/logger'
import { platformBadResponse, platformRestError, platformTransportError, type PlatformRestContext } from './platform-rest-errors'

export interface PlatformRestConfig {
  /** `…/api/v0002` (platform-rest.ts); https://, or http:// to a loopback peer (checked by the HTTP factory). */
  baseUrl: string
  apiKey: string
  token: string
  /** The profile's private CA, if any. */
  ca?: string[]
}

export interface PlatformRestOptions {
  logger?: Logger
  timeoutMs?: Partial<HttpTimeouts>
  maxAttempts?: number
}

/** A package as the platform holds it: the §4 fields and whatever else the platform keeps beside them. */
export const remoteBundleSchema = z.looseObject({ bundleId: z.string().min(1) })
export type RemoteBundle = z.infer<typeof remoteBundleSchema>

/** docs/wire/dm-packages.md §4 "REST": lists are `{results: […], bookmark?}`, the next page asked for with `_bookmark`. */
const listPageSchema = z.object({ results: z.array(remoteBundleSchema), bookmark: z.string().min(1).optional() })

const BUNDLES = '/mgmt/custom/bundle'
/** Pages followed at most: a platform that keeps answering a bookmark must not keep the core busy forever. */
const MAX_PAGES = 200
/** Packages per page [I: WP's default is 50; the spec gives no maximum]. */
const PAGE_SIZE = 50

export interface PlatformRestClient {
  readonly host: string
  listBundles(): Promise<RemoteBundle[]>
  /** null when the platform holds no such package (404). */
  getBundle(bundleId: string): Promise<RemoteBundle | null>
  createBundle(pkg: DmPackage): Promise<void>
  updateBundle(pkg: DmPackage): Promise<void>
  deleteBundle(bundleId: string): Promise<void>
  close(): Promise<void>
}

export function createPlatformRestClient(config: PlatformRestConfig, options: PlatformRestOptions = {}): PlatformRestClient {
  const client: HttpClient = createHttpClient({
    baseUrl: config.baseUrl,
    service: 'IoT platform',
    // A package is at most 5 MB; a list page of 50 of them stays well under this.
    maxBodyBytes: 8 * 1024 * 1024,
    ...(config.ca && config.ca.length > 0 ? { ca: config.ca } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  })
  const host = client.baseUrl.host
  const ctx: PlatformRestContext = { host, url: client.baseUrl.origin + client.baseUrl.pathname.replace(/\/+$/, ''), secrets: [config.token, config.apiKey] }
  const authorization = `Basic ${Buffer.from(`${config.apiKey}:${config.token}`, 'utf8').toString('base64')}`

  async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, query?: Record<string, string>): Promise<HttpResponse> {
    try {
      return await client.request({
        method,
        path,
        ...(query ? { query } : {}),
        headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (err) {
      throw platformTransportError(err, ctx)
    }
  }

  const one = (bundleId: string) => `${BUNDLES}/${encodeURIComponent(bundleId)}`

  function parsed<T>(res: HttpResponse, schema: z.ZodType<T>): T {
    const body = schema.safeParse(res.tryJson())
    if (!body.success) throw platformBadResponse(ctx, `HTTP ${res.status}: ${body.error.issues[0]?.message ?? 'not JSON'}`)
    return body.data
  }

  return {
    host,

    async listBundles() {
      const all: RemoteBundle[] = []
      let bookmark: string | undefined
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await call('GET', BUNDLES, undefined, { _limit: String(PAGE_SIZE), ...(bookmark ? { _bookmark: bookmark } : {}) })
        if (res.status !== 200) throw platformRestError(res, ctx)
        const data = parsed(res, listPageSchema)
        all.push(...data.results)
        // An empty page ends the list even with a bookmark: nothing more would come.
        if (!data.bookmark || data.results.length === 0) return all
        bookmark = data.bookmark
      }
      throw platformBadResponse(ctx, `more than ${MAX_PAGES} pages of packages`)
    },

    async getBundle(bundleId) {
      const res = await call('GET', one(bundleId))
      if (res.status === 404 && !res.isHtml()) return null
      if (res.status !== 200) throw platformRestError(res, ctx, bundleId)
      const bundle = parsed(res, remoteBundleSchema)
      if (bundle.bundleId !== bundleId) throw platformBadResponse(ctx, `asked for ${bundleId}, got ${bundle.bundleId}`)
      return bundle
    },

    async createBundle(pkg) {
      const res = await call('POST', BUNDLES, pkg)
      if (res.status !== 201) throw platformRestError(res, ctx, pkg.bundleId)
    },

    async updateBundle(pkg) {
      const res = await call('PUT', one(pkg.bundleId), pkg)
      if (res.status !== 200) throw platformRestError(res, ctx, pkg.bundleId)
    },

    async deleteBundle(bundleId) {
      const res = await call('DELETE', one(bundleId))
      if (res.status !== 204) throw platformRestError(res, ctx, bundleId)
    },

    close: () => client.close(),
  }
}
