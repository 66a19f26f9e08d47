/**
 * Subscriptions and pre-subscriptions of one API key (docs/wire/mbed.md §1.4), as strict as the service:
 *
 * - A notification is delivered to a key only for a resource the key subscribed to, or that one of its
 *   pre-subscriptions applied to (§1.4, DESIGN "never delivers what the service would not").
 * - Pre-subscriptions are applied on registration and reg-update [C]; writing them does not touch endpoints that are
 *   already registered (they apply at those endpoints' next registration or reg-update).
 * - A full re-registration drops the manual subscriptions of the endpoint; the pre-subscriptions are applied again,
 *   so what they cover survives [C]. A reg-update keeps everything.
 * - [I] A pre-subscription applies only to observable resources: an observation of a resource that cannot be
 *   observed is what the 412 of a manual subscribe refuses, so it cannot come into being through a rule either.
 * - [I] Once applied, a pre-subscribed resource is a subscription like another: GET /v2/subscriptions/{ep} lists it
 *   and DELETE removes it (until the pre-subscription is applied again).
 * - [I] Rule matching: every field a rule names must match; '*' is a prefix wildcard at the end of a name or path.
 */
import type { EndpointRecord } from './registry'

export interface PreSubscription {
  'endpoint-name'?: string
  'endpoint-type'?: string
  'resource-path'?: string[]
}

/** §1.4 limits. */
export const PRESUB_MAX_ENTRIES = 1024
export const PRESUB_MAX_NAME = 64
export const PRESUB_MAX_PATH = 128
export const PRESUB_MAX_DISTINCT_PATHS = 256

function prefixMatch(pattern: string, value: string): boolean {
  const star = pattern.endsWith('*')
  return star ? value.startsWith(pattern.slice(0, pattern.length - 1)) : pattern === value
}

function applies(rule: PreSubscription, record: EndpointRecord, path: string): boolean {
  if (rule['endpoint-name'] !== undefined && !prefixMatch(rule['endpoint-name'], record.name)) return false
  if (rule['endpoint-type'] !== undefined && rule['endpoint-type'] !== record.type) return false
  const paths = rule['resource-path']
  if (paths === undefined || paths.length === 0) return true
  return paths.some((p) => prefixMatch(p, path))
}

export class KeySubscriptions {
  pre: PreSubscription[] = []
  /** Per endpoint, the subscribed resource paths (manual and applied pre-subscriptions alike). */
  private readonly active = new Map<string, Set<string>>()

  has(ep: string, path: string): boolean {
    return this.active.get(ep)?.has(path) === true
  }

  paths(ep: string): string[] {
    return [...(this.active.get(ep) ?? [])]
  }

  add(ep: string, path: string): void {
    let set = this.active.get(ep)
    if (!set) {
      set = new Set()
      this.active.set(ep, set)
    }
    set.add(path)
  }

  delete(ep: string, path: string): boolean {
    const set = this.active.get(ep)
    if (!set?.delete(path)) return false
    if (set.size === 0) this.active.delete(ep)
    return true
  }

  deleteEndpoint(ep: string): boolean {
    return this.active.delete(ep)
  }

  clear(): void {
    this.active.clear()
  }

  /** A registration (`full`: manual subscriptions dropped) or a reg-update: the pre-subscriptions apply again. */
  registered(record: EndpointRecord, full: boolean): void {
    if (full) this.active.delete(record.name)
    for (const r of record.resources) {
      if (r.obs && this.pre.some((rule) => applies(rule, record, r.path))) this.add(record.name, r.path)
    }
  }
}

const PRESUB_KEYS = new Set(['endpoint-name', 'endpoint-type', 'resource-path'])

/** Why a name or path breaks the rules, or null. [I] '*' only as the last character, as in the spec's examples. */
function valueProblem(what: string, value: unknown, max: number, path: boolean): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) return `${what} must be a string of 1–${max} characters`
  const star = value.indexOf('*')
  if (star !== -1 && star !== value.length - 1) return `${what} may contain '*' only at its end`
  if (path && !value.startsWith('/')) return `${what} must start with '/'`
  return null
}

/**
 * Body of PUT /v2/subscriptions: an array of rules within the §1.4 limits (≤ 1024 entries, names and types ≤ 64
 * characters, paths ≤ 128, ≤ 256 distinct paths). Returns the rules, or the 400 message with the field it names.
 */
export function parsePreSubscriptions(body: Buffer): PreSubscription[] | { message: string; field: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return { message: 'Body is not valid JSON', field: 'body' }
  }
  if (!Array.isArray(parsed)) return { message: 'Body must be an array of pre-subscriptions', field: 'body' }
  if (parsed.length > PRESUB_MAX_ENTRIES) return { message: `At most ${PRESUB_MAX_ENTRIES} pre-subscriptions`, field: 'body' }
  const out: PreSubscription[] = []
  const distinct = new Set<string>()
  for (const [i, entry] of (parsed as unknown[]).entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { message: 'Each pre-subscription must be an object', field: `[${i}]` }
    const e = entry as Record<string, unknown>
    const unknown = Object.keys(e).find((k) => !PRESUB_KEYS.has(k))
    if (unknown !== undefined) return { message: `Unknown field in pre-subscription: ${unknown}`, field: `[${i}].${unknown}` }
    const item: PreSubscription = {}
    const name = e['endpoint-name']
    if (name !== undefined) {
      const problem = valueProblem('endpoint-name', name, PRESUB_MAX_NAME, false)
      if (problem) return { message: problem, field: `[${i}].endpoint-name` }
      item['endpoint-name'] = name as string
    }
    const type = e['endpoint-type']
    if (type !== undefined) {
      if (typeof type !== 'string' || type.length === 0 || type.length > PRESUB_MAX_NAME)
        return { message: `endpoint-type must be a string of 1–${PRESUB_MAX_NAME} characters`, field: `[${i}].endpoint-type` }
      item['endpoint-type'] = type
    }
    const paths = e['resource-path']
    if (paths !== undefined) {
      if (!Array.isArray(paths)) return { message: 'resource-path must be an array', field: `[${i}].resource-path` }
      for (const p of paths as unknown[]) {
        const problem = valueProblem('resource-path', p, PRESUB_MAX_PATH, true)
        if (problem) return { message: problem, field: `[${i}].resource-path` }
        distinct.add(p as string)
      }
      item['resource-path'] = paths as string[]
    }
    out.push(item)
  }
  if (distinct.size > PRESUB_MAX_DISTINCT_PATHS) return { message: `At most ${PRESUB_MAX_DISTINCT_PATHS} distinct resource paths`, field: 'resource-path' }
  return out
}
