/**
 * What the bridge knows of each endpoint to address it on the platform: its device type (from registrations,
 * reg-updates and the endpoint list read at start), whether it is in queue mode, and its notify topic.
 *
 * - device type = the endpoint's type when it is a valid type id; otherwise the default device type.
 * - An endpoint whose name cannot be a device id (1–36 of A–Z a–z 0–9 - _ .) cannot be addressed on the platform: its
 *   messages are counted as `unroutable` (and logged once per endpoint).
 */
import { AppError } from '../common/errors'
import type { Logger } from '../log/logger'
import { eventTopic, isValidTopicPart } from '../platform/topics'
import type { MbedClient, MbedEndpoint } from './connector.client'
import type { LimitedWarn } from './log-limit'

export interface EndpointWithResources extends MbedEndpoint {
  deviceType: string
  bridgeable: boolean
  resources: { path: string; rt?: string; obs: boolean; ct: string }[]
  resourcesError: AppError | null
}

/** The device type for an endpoint type: itself when it can be a type id, else the default. */
export function deviceTypeFor(endpointType: string | undefined, defaultType: string): string {
  return endpointType !== undefined && isValidTopicPart('typeId', endpointType) ? endpointType : defaultType
}

/**
 * mbed's endpoints with their resources and the device type the bridge gives each. The resource lists go through the
 * client's governor (a few at a time); one that fails is reported on its endpoint and does not hide the others.
 */
export async function listEndpointsWithResources(client: MbedClient, defaultType: string, options: { type?: string } = {}): Promise<EndpointWithResources[]> {
  const endpoints = await client.listEndpoints(options)
  return Promise.all(
    endpoints.map(async (e): Promise<EndpointWithResources> => {
      const base = { ...e, deviceType: deviceTypeFor(e.type, defaultType), bridgeable: isValidTopicPart('deviceId', e.name) }
      try {
        return { ...base, resources: await client.endpointResources(e.name), resourcesError: null }
      } catch (err) {
        const error = err instanceof AppError ? err : AppError.withRef('INTERNAL', 'Listing the resources failed', { key: 'mbed.resourcesFailed' })
        return { ...base, resources: [], resourcesError: error }
      }
    }),
  )
}

export interface EndpointTypesOptions {
  defaultType: string
  warn: LimitedWarn
  log: Logger
  /** Counted here: messages for endpoints that cannot be addressed. */
  counters: { unroutable: number }
  /** A device type seen for the first time on an endpoint (the bridge subscribes to its commands). */
  onType?: (type: string) => void
}

/** Endpoints remembered for topics at most; the cache starts over past it (endpoints come and go). */
const TOPIC_CACHE_MAX = 100_000
/** Endpoints named in an "unroutable" log line at most. */
const WARNED_MAX = 10_000

export class EndpointTypes {
  readonly defaultType: string
  private readonly types = new Map<string, string>()
  private readonly queueModes = new Set<string>()
  private readonly topicCache = new Map<string, string | null>()
  private readonly warnedUnroutable = new Set<string>()

  constructor(private readonly options: EndpointTypesOptions) {
    this.defaultType = options.defaultType
  }

  typeOf(ep: string): string {
    return this.types.get(ep) ?? this.defaultType
  }

  /** The type learnt for an endpoint, or undefined when none was (a command's topic is then taken as it is). */
  knownType(ep: string): string | undefined {
    return this.types.get(ep)
  }

  knownTypes(): Set<string> {
    return new Set(this.types.values())
  }

  isQueueMode(ep: string): boolean {
    return this.queueModes.has(ep)
  }

  learn(ep: string, ept: string | undefined, queueMode: boolean | undefined): void {
    if (queueMode === true) this.queueModes.add(ep)
    else if (queueMode === false) this.queueModes.delete(ep)
    if (ept === undefined || ept === '') return
    const type = deviceTypeFor(ept, this.defaultType)
    if (type !== ept) this.options.warn('badType', { ep, ept: ept.slice(0, 64), using: this.defaultType }, 'mbed bridge: endpoint type is not a valid device type; using the default')
    if (this.types.get(ep) === type) return
    this.types.set(ep, type)
    this.topicCache.delete(ep)
    this.options.onType?.(type)
  }

  /** The notify topic of an endpoint, or null when its name cannot be a device id. Cached: built once per endpoint. */
  notifyTopic(ep: string): string | null {
    let topic = this.topicCache.get(ep)
    if (topic !== undefined) return topic
    topic = isValidTopicPart('deviceId', ep) ? eventTopic(this.typeOf(ep), ep, 'notify', 'json') : null
    if (this.topicCache.size > TOPIC_CACHE_MAX) this.topicCache.clear()
    this.topicCache.set(ep, topic)
    return topic
  }

  /** Counts a message that cannot be published for `ep`, and says so once per endpoint. */
  unroutable(ep: string, what: string): void {
    this.options.counters.unroutable++
    if (this.warnedUnroutable.size < WARNED_MAX && !this.warnedUnroutable.has(ep)) {
      this.warnedUnroutable.add(ep)
      this.options.log.warn({ ep: ep.slice(0, 80), what }, "mbed bridge: this endpoint's name cannot be a device id (1–36 of A–Z a–z 0–9 - _ .); its messages are not bridged")
    }
  }
}
