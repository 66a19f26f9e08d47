/**
 * The simulated endpoints (devices) registered with the peer: names, types, queue mode, resources and the values the
 * devices hold (docs/wire/mbed.md §1.2). Deterministic from the seed.
 */
import type { ResourceItem } from './wire-format'

export interface EndpointSpec {
  name: string
  type: string
  queueMode?: boolean
  resources: ResourceItem[]
}

export interface EndpointRecord {
  name: string
  type: string
  queueMode: boolean
  resources: ResourceItem[]
  byPath: Map<string, ResourceItem>
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function hex(random: () => number, length: number): string {
  let out = ''
  while (out.length < length) out += Math.floor(random() * 16).toString(16)
  return out
}

const TEXT = 'text/plain'

/** LwM2M Device object (3) resources every simulated endpoint carries. */
const DEVICE_OBJECT: ResourceItem[] = [
  { path: '/3/0/0', obs: false, ct: TEXT },
  { path: '/3/0/1', obs: false, ct: TEXT },
  { path: '/3/0/2', obs: false, ct: TEXT },
  { path: '/3/0/4', obs: false },
  { path: '/3/0/13', obs: true, ct: TEXT },
]

const TEMPLATES: { type: string; queueMode: boolean; resources: ResourceItem[] }[] = [
  {
    type: 'Light',
    queueMode: false,
    resources: [...DEVICE_OBJECT, { path: '/3311/0/5850', obs: true, rt: 'urn:oma:lwm2m:ext:3311', ct: TEXT }, { path: '/3311/0/5851', obs: true, rt: 'urn:oma:lwm2m:ext:3311', ct: TEXT }],
  },
  {
    type: 'Sensor',
    queueMode: false,
    resources: [...DEVICE_OBJECT, { path: '/3303/0/5700', obs: true, rt: 'urn:oma:lwm2m:ext:3303', ct: TEXT }, { path: '/3200/0/5501', obs: true, rt: 'urn:oma:lwm2m:ext:3200', ct: TEXT }],
  },
  {
    type: 'Tracker',
    queueMode: true,
    resources: [...DEVICE_OBJECT, { path: '/3336/0/5514', obs: true, rt: 'urn:oma:lwm2m:ext:3336', ct: TEXT }, { path: '/3336/0/5515', obs: true, rt: 'urn:oma:lwm2m:ext:3336', ct: TEXT }],
  },
]

/**
 * Four endpoints: two Lights, a Sensor and a queue-mode Tracker (so 409 on `noResp` is reachable, §1.3). Names are 32
 * hex digits like Pelion device IDs (§1.6 example "0172…17f5"), derived from the seed.
 */
export function defaultEndpoints(seed: number): EndpointSpec[] {
  const random = prng(seed ^ 0x3b1d)
  const order = [0, 0, 1, 2]
  return order.map((t) => {
    const template = TEMPLATES[t] as (typeof TEMPLATES)[number]
    return { name: `0172${hex(random, 28)}`, type: template.type, queueMode: template.queueMode, resources: template.resources.map((r) => ({ ...r })) }
  })
}

export const defaultResources = (): ResourceItem[] => (TEMPLATES[1] as (typeof TEMPLATES)[number]).resources.map((r) => ({ ...r }))

/** Ep names/types ≤ 64 chars (§1.4 pre-subscription limits); paths start with "/" and stay ≤ 255 chars (§1.3). */
export function validateSpec(spec: EndpointSpec): void {
  if (!spec.name || spec.name.length > 64 || /[\s/?#]/.test(spec.name)) throw new RangeError(`endpoint name must be 1–64 chars without whitespace, '/', '?', '#': ${JSON.stringify(spec.name)}`)
  if (!spec.type || spec.type.length > 64) throw new RangeError(`endpoint type must be 1–64 chars: ${JSON.stringify(spec.type)}`)
  for (const r of spec.resources) {
    if (!r.path.startsWith('/') || r.path.length > 255 || r.path.includes('?')) throw new RangeError(`resource path must start with '/', ≤ 255 chars, no query: ${JSON.stringify(r.path)}`)
  }
}

export class Registry {
  private readonly endpoints = new Map<string, EndpointRecord>()
  /** What the device itself holds: GET answers it, a successful PUT replaces it. Key `${ep}\n${path}`. */
  private readonly deviceValues = new Map<string, { value: Buffer; ct: string }>()
  /** What the server has seen (notifications, GET answers, accepted PUTs): `cacheOnly=true` reads it (§1.3). */
  private readonly cache = new Map<string, { value: Buffer; ct: string }>()

  constructor(private readonly random: () => number) {}

  add(spec: EndpointSpec): EndpointRecord {
    validateSpec(spec)
    const resources = spec.resources.map((r) => ({ ...r }))
    const record: EndpointRecord = { name: spec.name, type: spec.type, queueMode: spec.queueMode ?? false, resources, byPath: new Map(resources.map((r) => [r.path, r])) }
    this.endpoints.set(spec.name, record)
    for (const r of resources) {
      const key = `${spec.name}\n${r.path}`
      if (!this.deviceValues.has(key)) this.deviceValues.set(key, { value: Buffer.from(this.initialValue(spec, r.path)), ct: r.ct ?? TEXT })
    }
    return record
  }

  remove(name: string): EndpointRecord | undefined {
    const record = this.endpoints.get(name)
    if (!record) return undefined
    this.endpoints.delete(name)
    for (const r of record.resources) {
      this.deviceValues.delete(`${name}\n${r.path}`)
      this.cache.delete(`${name}\n${r.path}`)
    }
    return record
  }

  get(name: string): EndpointRecord | undefined {
    return this.endpoints.get(name)
  }

  list(): EndpointRecord[] {
    return [...this.endpoints.values()]
  }

  get size(): number {
    return this.endpoints.size
  }

  /**
   * A request may target a resource, or its object / object instance (POST "/3/0" creates or executes, §1.3): the
   * latter exist when some registered resource lives under them. [I]
   */
  hasPath(record: EndpointRecord, path: string): boolean {
    if (record.byPath.has(path)) return true
    const prefix = path.endsWith('/') ? path : `${path}/`
    return record.resources.some((r) => r.path.startsWith(prefix))
  }

  deviceValue(ep: string, path: string): { value: Buffer; ct: string } | undefined {
    return this.deviceValues.get(`${ep}\n${path}`)
  }

  setDeviceValue(ep: string, path: string, value: Buffer, ct: string): void {
    this.deviceValues.set(`${ep}\n${path}`, { value, ct })
  }

  cached(ep: string, path: string): { value: Buffer; ct: string } | undefined {
    return this.cache.get(`${ep}\n${path}`)
  }

  setCached(ep: string, path: string, value: Buffer, ct: string): void {
    this.cache.set(`${ep}\n${path}`, { value, ct })
  }

  private initialValue(spec: EndpointSpec, path: string): string {
    switch (path) {
      case '/3/0/0':
        return 'Fieldline Sim'
      case '/3/0/1':
        return spec.type
      case '/3/0/2':
        return `SN-${spec.name.slice(-8).toUpperCase()}`
      case '/3/0/13':
        return '1735689600'
      case '/3303/0/5700':
        return (18 + this.random() * 8).toFixed(1)
      case '/3336/0/5514':
        return (45 + this.random()).toFixed(5)
      case '/3336/0/5515':
        return (4 + this.random()).toFixed(5)
      default:
        return '0'
    }
  }
}
