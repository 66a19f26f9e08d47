/**
 * What the mbed bridge shows the UI: the zod schemas of its channels and events, spread into src-shared/contract.ts
 * (`...mbedEvents` in `events`, `...mbedChannels` in `channels`), so that the bridge's payload types and the contract
 * are one definition.
 *
 * Rates: 'mbed:state' is pushed on each state change (rare); 'mbed:counters' once per second while the bridge runs;
 * 'mbed:notifications' at most every 100 ms (≤ 10 pushes/s) with at most 200 items, the rest counted in `omitted`;
 * 'mbed:command' on each change of a command (wire it through `throttled` if commands may arrive in bursts);
 * 'mbed:subscriptions' at most every 100 ms, naming the endpoints whose subscriptions changed.
 */
import { z } from 'zod'
import { errorInfoSchema } from './errors'
import { ENDPOINT_NAME_CHARS, MAX_ENDPOINT_NAME } from './mbed-commands'

export const mbedBridgeStateSchema = z.enum(['stopped', 'starting', 'running', 'degraded', 'stopping', 'failed'])
export type MbedBridgeState = z.infer<typeof mbedBridgeStateSchema>

export const mbedChannelStateSchema = z.enum(['idle', 'connecting', 'open', 'reconnecting', 'stopping', 'stopped', 'failed'])
export const mbedLinkStateSchema = z.enum(['idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed'])

export const mbedCountersSchema = z.object({
  /** Notifications received from mbed. */
  notifications: z.number().int(),
  /** Over the last second. */
  notificationsPerSecond: z.number(),
  /** MQTT messages the broker acknowledged (notify, asyncResponse, bridgeError). */
  published: z.number().int(),
  /** Commands forwarded to mbed. */
  commands: z.number().int(),
  /** Commands refused as invalid, or that mbed refused or could not be reached for. */
  commandErrors: z.number().int(),
  asyncResponses: z.number().int(),
  /** Messages dropped because the queue was full (oldest first). */
  dropped: z.number().int(),
  /** Messages waiting for the broker, in flight included. */
  queued: z.number().int(),
  /** Of the messages the last run left in the queue (the status's `kept`), those not delivered yet: they go first. */
  keptQueued: z.number().int(),
  /** Envelope items that could not be read. */
  malformed: z.number().int(),
  /** Notifications whose endpoint name cannot be a topic level (1–36 of A–Z a–z 0–9 - _ .). */
  unroutable: z.number().int(),
  /** Async responses that matched no command sent by this bridge. */
  unmatchedAsyncResponses: z.number().int(),
  /** Messages the broker refused (MQTT 5 reason codes) or the link refused to send (too large). */
  refused: z.number().int(),
  pendingCommands: z.number().int(),
})
export type MbedBridgeCounters = z.infer<typeof mbedCountersSchema>

/** Counters of a bridge that has done nothing yet (also what the UI shows while no bridge runs). */
export function zeroCounters(): MbedBridgeCounters {
  return {
    notifications: 0,
    notificationsPerSecond: 0,
    published: 0,
    commands: 0,
    commandErrors: 0,
    asyncResponses: 0,
    dropped: 0,
    queued: 0,
    keptQueued: 0,
    malformed: 0,
    unroutable: 0,
    unmatchedAsyncResponses: 0,
    refused: 0,
    pendingCommands: 0,
  }
}

/**
 * Which side ended a failed bridge: mbed (it refused the access key, the certificate or the address is not mbed's, it
 * closed the notification channel for good), the MQTT link to the platform, or the disk that keeps the queue. The
 * reason alone cannot tell them apart: a 401 from mbed and one from a proxy on the way share a code.
 */
export const mbedFailedSideSchema = z.enum(['mbed', 'link', 'disk'])
export type MbedFailedSide = z.infer<typeof mbedFailedSideSchema>

export const mbedStatusSchema = z.object({
  state: mbedBridgeStateSchema,
  /** Why the bridge is 'degraded' or 'failed'. */
  reason: errorInfoSchema.nullable(),
  /** Which side ended the bridge when it is 'failed'; null otherwise. */
  failedSide: mbedFailedSideSchema.nullable(),
  /** ISO time of the last state change. */
  since: z.string(),
  /**
   * While 'failed' on a cause a new attempt may cure (an unexpected error in the notification channel's loop): when
   * the bridge starts its channel again by itself (ISO). Null otherwise, and always for a refusal that cannot heal
   * (a refused access key, a certificate, a replaced channel): the reason then says what the operator must do.
   */
  restartAt: z.string().nullable(),
  /** `retryAt`: while reconnecting, when the channel tries mbed again by itself (ISO); null otherwise. */
  channel: z.object({ kind: z.enum(['longpoll', 'websocket']), state: mbedChannelStateSchema, retryAt: z.string().nullable() }),
  /** `retryAt`: while reconnecting, when the link tries the broker again by itself (ISO); null otherwise. */
  link: z.object({ state: mbedLinkStateSchema, insecure: z.boolean(), retryAt: z.string().nullable() }),
  /**
   * Messages the last run left in the queue on disk (killed, or stopped while the broker was away), found when this
   * run started and delivered before anything new; 0 when there were none (the counters' `keptQueued` tells the rest).
   */
  kept: z.number().int(),
})
export type MbedBridgeStatus = z.infer<typeof mbedStatusSchema>

/** Payload bytes shown in the live stream are capped; the MQTT event always carries the whole payload. */
export const LIVE_PAYLOAD_MAX = 8192

export const mbedLiveNotificationSchema = z.object({
  at: z.string(),
  ep: z.string(),
  path: z.string(),
  ct: z.string().optional(),
  /** base64, at most LIVE_PAYLOAD_MAX characters (`truncated` says when it was cut). */
  payload: z.string(),
  truncated: z.boolean(),
  maxAge: z.number().optional(),
  /** The device type it was published under. */
  deviceType: z.string(),
})
export type MbedLiveNotification = z.infer<typeof mbedLiveNotificationSchema>

export const mbedNotificationsEventSchema = z.object({
  items: z.array(mbedLiveNotificationSchema).max(200),
  /** Notifications in this interval beyond the 200 shown. */
  omitted: z.number().int(),
})

export const mbedCommandStateSchema = z.enum(['sending', 'pending', 'answered', 'failed', 'expired'])

export const mbedCommandViewSchema = z.object({
  /** The bridge's own id for the command. */
  id: z.string(),
  source: z.enum(['mqtt', 'console']),
  method: z.enum(['PUT', 'POST']),
  ep: z.string(),
  path: z.string(),
  deviceType: z.string(),
  /** mbed's async id once known (legacy: from the 202; Pelion: chosen by the bridge). */
  asyncId: z.string().nullable(),
  state: mbedCommandStateSchema,
  createdAt: z.string(),
  answeredAt: z.string().nullable(),
  /** The async response's status (or the direct HTTP status), when answered. */
  status: z.number().int().nullable(),
  /** The async response's `error` as mbed sent it (e.g. TIMEOUT). */
  error: z.string().nullable(),
  /** Why the command failed or expired on our side, translatable (the renderer words it in the operator's language). */
  reason: errorInfoSchema.nullable(),
  response: z.object({ ct: z.string().optional(), payload: z.string().optional(), maxAge: z.number().optional() }).nullable(),
})
export type MbedCommandView = z.infer<typeof mbedCommandViewSchema>

/**
 * One resource's subscription as the bridge keeps it (docs/wire/mbed.md §1.4):
 * - 'subscribed': mbed confirmed it (200/204, or the async answer of a 202), or a pre-subscription the bridge wrote
 *   covers it (`via: 'presubscription'`: mbed applies those at registration);
 * - 'pending': asked, or waiting to be asked again after 429/5xx or a network failure (`reason` says why);
 * - 'refused': mbed said no for good — 412 (not observable), 404 (no such endpoint or resource) or another refusal —
 *   not retried; `reason` names it;
 * - 'unsubscribed': the operator took it off; the bridge leaves it off until the operator subscribes it again.
 */
export const mbedSubscriptionStateSchema = z.enum(['subscribed', 'pending', 'refused', 'unsubscribed'])
export const mbedSubscriptionSchema = z.object({
  path: z.string(),
  state: mbedSubscriptionStateSchema,
  /** Who asked: a pre-subscription rule, the bridge's automatic subscriptions, or the operator. */
  via: z.enum(['presubscription', 'bridge', 'operator']),
  reason: errorInfoSchema.nullable(),
  /** ISO time of the last change. */
  since: z.string(),
  /** The registration's `obs` flag, null when the bridge has not seen the resource registered. */
  observable: z.boolean().nullable(),
  /** Requests made for it so far (retries included). */
  attempts: z.number().int(),
})
export type MbedSubscriptionView = z.infer<typeof mbedSubscriptionSchema>

export const mbedEndpointSubscriptionsSchema = z.object({ ep: z.string(), type: z.string().nullable(), resources: z.array(mbedSubscriptionSchema) })
export type MbedEndpointSubscriptions = z.infer<typeof mbedEndpointSubscriptionsSchema>

export const mbedSubscriptionsListSchema = z.object({
  /** 'default': every observable resource is subscribed per registration, no pre-subscriptions written; 'rules': the profile's. */
  mode: z.enum(['default', 'rules']),
  rules: z.array(z.object({ 'endpoint-name': z.string().optional(), 'endpoint-type': z.string().optional(), 'resource-path': z.array(z.string()).optional() })),
  /** Whether the rules were written to mbed at start ('none' in the default mode). */
  presubscriptions: z.object({ state: z.enum(['none', 'written', 'failed']), reason: errorInfoSchema.nullable() }),
  endpoints: z.array(mbedEndpointSubscriptionsSchema),
  /** Endpoints the bridge knows; `endpoints` holds at most MBED_SUBSCRIPTIONS_PAGE of them. */
  total: z.number().int(),
})
export type MbedSubscriptionsList = z.infer<typeof mbedSubscriptionsListSchema>
export const MBED_SUBSCRIPTIONS_PAGE = 1000

/** Endpoints whose subscriptions changed (at most 200 per event, `more` when others changed too); the UI re-reads them. */
export const mbedSubscriptionsEventSchema = z.object({ endpoints: z.array(z.string()).max(200), more: z.boolean() })

export const mbedEvents = {
  'mbed:state': mbedStatusSchema,
  'mbed:counters': mbedCountersSchema,
  'mbed:notifications': mbedNotificationsEventSchema,
  'mbed:command': mbedCommandViewSchema,
  'mbed:subscriptions': mbedSubscriptionsEventSchema,
} as const

export type MbedEventName = keyof typeof mbedEvents
export type MbedBridgeEvent = { [E in MbedEventName]: { name: E; payload: z.output<(typeof mbedEvents)[E]> } }[MbedEventName]

// ---- request channels ------------------------------------------------------------------------------------------------

/**
 * Inputs are strict (an unknown key is refused and named) and every string has a length limit. An endpoint name is
 * at most 64 characters (§1.4) without whitespace, '/', '?' or '#'; a resource path starts with '/', has no empty,
 * '.' or '..' segment and at most 255 characters (§1.3).
 */
export const mbedEndpointNameSchema = z.string().min(1).max(MAX_ENDPOINT_NAME).regex(ENDPOINT_NAME_CHARS, { message: "an endpoint name has no spaces, control characters, '/', '?' or '#'" })
export const mbedResourcePathSchema = z
  .string()
  .min(2)
  .max(255)
  .regex(/^(\/(?!\.{1,2}(?:\/|$))[^\s/?#\\]+)+$/, { message: "a resource path is '/'-separated segments such as /3/0/1, without '.', '..', spaces, '?' or '#'" })

const profileRef = z.object({ profileId: z.string().max(48).optional() }).strict()
const nothing = z.object({}).strict()
const subscriptionTarget = z.object({ ep: mbedEndpointNameSchema, path: mbedResourcePathSchema }).strict()

export const mbedEndpointSchema = z.object({
  name: z.string(),
  type: z.string(),
  queueMode: z.boolean(),
  /** The device type the bridge uses for it (the endpoint type when it is a valid type id, else the default). */
  deviceType: z.string(),
  /** Whether the name can be a device id (and so a topic level and a workspace device). */
  bridgeable: z.boolean(),
  resources: z.array(z.object({ path: z.string(), rt: z.string().optional(), obs: z.boolean(), ct: z.string() })),
  /** Why the resources could not be listed, when they could not. */
  resourcesError: errorInfoSchema.nullable(),
})

export const mbedImportReportSchema = z.object({
  added: z.array(z.object({ typeId: z.string(), deviceId: z.string() })),
  existing: z.array(z.object({ typeId: z.string(), deviceId: z.string() })),
  refused: z.array(z.object({ name: z.string(), reason: z.string(), ref: z.object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])).optional() }) })),
})

export const mbedChannels = {
  'mbed:status': { input: nothing, output: z.object({ status: mbedStatusSchema, counters: mbedCountersSchema }) },
  'mbed:start': { input: profileRef, output: mbedStatusSchema },
  'mbed:stop': { input: nothing, output: z.object({ status: mbedStatusSchema, undelivered: z.number().int() }) },
  'mbed:verify': {
    input: profileRef,
    output: z.object({
      flavour: z.enum(['connector', 'pelion']),
      apiUrl: z.string(),
      detail: z.union([
        z.object({
          kind: z.literal('limits'),
          transactionQuota: z.number().optional(),
          transactionCount: z.number().optional(),
          endpointQuota: z.number().optional(),
          endpointCount: z.number().optional(),
        }),
        z.object({ kind: z.literal('apiKey'), name: z.string().optional(), status: z.string().optional() }),
      ]),
    }),
  },
  'mbed:endpoints': { input: profileRef.extend({ type: z.string().max(64).optional() }).strict(), output: z.object({ items: z.array(mbedEndpointSchema) }) },
  'mbed:import': { input: profileRef.extend({ names: z.array(z.string().max(64)).max(10_000).optional() }).strict(), output: mbedImportReportSchema },
  'mbed:sendCommand': {
    input: z.object({ method: z.enum(['PUT', 'POST']), deviceId: z.string().min(1).max(64), resourceId: z.string().min(1).max(254), payload: z.string().max(180_000).optional() }).strict(),
    output: mbedCommandViewSchema,
  },
  'mbed:commands': { input: nothing, output: z.object({ items: z.array(mbedCommandViewSchema), pending: z.number().int() }) },
  /**
   * The commands for devices a saved mbed profile's bridge has journalled (taken from the broker, not yet sent to
   * mbed): what deleting the profile leaves unsent, which its confirmation says.
   */
  'mbed:journalled': { input: z.object({ profileId: z.string().min(1).max(48) }).strict(), output: z.object({ commands: z.number().int().nonnegative() }) },
  /** The running bridge's subscriptions, of one endpoint or of all (at most MBED_SUBSCRIPTIONS_PAGE endpoints). */
  'mbed:subscriptions': { input: z.object({ ep: mbedEndpointNameSchema.optional() }).strict(), output: mbedSubscriptionsListSchema },
  /** The operator subscribes one resource (audited); answers its state once mbed has answered. */
  'mbed:subscribe': { input: subscriptionTarget, output: mbedSubscriptionSchema },
  /** The operator unsubscribes one resource (audited); the bridge leaves it off until subscribed again. */
  'mbed:unsubscribe': { input: subscriptionTarget, output: mbedSubscriptionSchema },
} as const
