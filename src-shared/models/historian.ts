/**
 * Historical data storage (issue 15, docs/wire/couchdb-kafka.md §5): the settings of the destination and
 * forwarder profiles, and what the historian shows the UI. The channels and events are spread into
 * src-shared/contract.ts (`...historianChannels`, `...historianEvents`) so that their types are one definition.
 *
 * Three profile kinds: 'couchdb' (a Cloudant/CouchDB destination), 'kafka' (a Kafka or Event Streams destination) and
 * 'historian' (a forwarder: its sources and forwarding rules, naming destinations as `couchdb/<id>` or `kafka/<id>`).
 * Secrets (IAM API key, passwords, a client key) live in the vault like every profile's.
 *
 * Rates: 'historian:status' at most once a second while a forwarder runs, and on each state change.
 */
import { z } from 'zod'
import { errorInfoSchema } from './errors'

/** The characters of a platform id (type, device, event): also what a selector may use besides '*'. */
const SELECTOR = /^[A-Za-z0-9._*-]{1,36}$/

/** Database names CouchDB accepts (docs/wire/couchdb-kafka.md §1.3); express-pouchdb does not check, so we do. */
export const COUCH_DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/
/** The name part chosen by the operator: `iotp_<org>_<part>_<bucket>` must stay a valid database name. */
const DB_NAME_PART = /^[a-z0-9_$()+-]{1,64}$/

export const BUCKET_INTERVALS = ['day', 'week', 'month'] as const
export const bucketIntervalSchema = z.enum(BUCKET_INTERVALS)
export type BucketInterval = z.infer<typeof bucketIntervalSchema>

/** An IANA time zone the runtime knows (checked where it is used: zod cannot ask Intl). */
const timeZoneSchema = z.string().trim().min(1).max(64)

/** Events a destination's on-disk queue holds while it is away; beyond it the oldest are dropped and counted. */
const queueSizeSchema = z.number().int().min(100).max(50_000_000)

export const couchSettingsSchema = z
  .object({
    /** The account URL (https://<account>.cloudant.com, or a CouchDB); http:// only to this computer. */
    url: z.string().trim().min(1).max(300),
    /** 'iam': an IBM Cloud API key exchanged for tokens; 'basic': user name and password (legacy Cloudant, CouchDB). */
    auth: z.enum(['iam', 'basic']).default('iam'),
    username: z.string().trim().max(200).default(''),
    /** IBM Cloud IAM; the token endpoint is `<iamUrl>/identity/token`. */
    iamUrl: z.string().trim().min(1).max(300).default('https://iam.cloud.ibm.com'),
    /** The name part of `iotp_<org>_<dbName>_<bucket>`. */
    dbName: z.string().trim().max(64).regex(DB_NAME_PART, { message: 'must be 1–64 lower-case letters, digits or _ $ ( ) + -' }),
    bucketInterval: bucketIntervalSchema.default('day'),
    /** Buckets start at midnight in this zone, and event times are written in it. */
    timeZone: timeZoneSchema.default('UTC'),
    /** Buckets kept, the current one included; 0 keeps every bucket. Older ones are deleted only when confirmed. */
    retentionBuckets: z.number().int().min(0).max(100_000).default(0),
    queueSize: queueSizeSchema.default(1_000_000),
    /** Documents per `_bulk_docs` request. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
    /** A private CA (PEM) added to the trusted roots. */
    ca: z.string().max(100_000).default(''),
  })
  .strict()
export type CouchSettings = z.infer<typeof couchSettingsSchema>

export const KAFKA_TRANSPORTS = ['native', 'eventstreams-rest', 'confluent-rest'] as const

export const kafkaSettingsSchema = z
  .object({
    /** 'native': the Kafka protocol (kafkajs); the REST producers of Event Streams (v2) or Confluent (v3) over HTTPS. */
    transport: z.enum(KAFKA_TRANSPORTS).default('native'),
    /** host:port of the bootstrap brokers (Event Streams: kafka_brokers_sasl). */
    brokers: z.array(z.string().trim().min(1).max(300)).max(50).default([]),
    /** 'plaintext' is accepted for brokers on this computer only. */
    security: z.enum(['sasl_ssl', 'ssl', 'plaintext']).default('sasl_ssl'),
    saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('plain'),
    /** SASL user (Event Streams: 'token'), or the Confluent API key for the REST producer. */
    username: z.string().trim().max(200).default('token'),
    /** The REST producer's base URL (Event Streams: kafka_http_url). */
    restUrl: z.string().trim().max(300).default(''),
    /** Confluent v3 only: the cluster id in the path. */
    clusterId: z.string().trim().max(200).default(''),
    topic: z
      .string()
      .max(249)
      .regex(/^[A-Za-z0-9._-]{1,249}$/, { message: "must be 1–249 letters, digits, '.', '_' or '-'" }),
    queueSize: queueSizeSchema.default(1_000_000),
    batchSize: z.number().int().min(1).max(10_000).default(500),
    ca: z.string().max(100_000).default(''),
    /** For SSL client authentication: the certificate (PEM, public); its key is the profile's secret `clientKey`. */
    clientCert: z.string().max(100_000).default(''),
  })
  .strict()
export type KafkaSettings = z.infer<typeof kafkaSettingsSchema>

/** A destination as a rule names it: the profile kind and id. */
export const destinationRefSchema = z
  .string()
  .max(56)
  .regex(/^(couchdb|kafka)\/[a-z0-9][a-z0-9-]{0,47}$/, { message: 'must be couchdb/<profile id> or kafka/<profile id>' })
export type DestinationRef = z.infer<typeof destinationRefSchema>

export const selectorSchema = z.string().max(36).regex(SELECTOR, { message: "must be 1–36 letters, digits, '-', '_', '.' or '*'" })

export const historianRuleSchema = z
  .object({
    deviceType: selectorSchema.default('*'),
    eventId: selectorSchema.default('*'),
    destinations: z.array(destinationRefSchema).min(1).max(16),
  })
  .strict()
export type HistorianRule = z.infer<typeof historianRuleSchema>

export const historianSettingsSchema = z
  .object({
    /** The platform (MQTT) profile whose broker and credentials the MQTT source uses; the default one when empty. */
    platformProfile: z.string().max(48).default(''),
    /** Subscribe to every device event on the broker (`iot-2/type/+/id/+/evt/+/fmt/+`). */
    mqtt: z.boolean().default(true),
    /** 4 = MQTT 3.1.1; 5 = MQTT 5, needed for a shared subscription. */
    mqttVersion: z.literal([4, 5]).default(4),
    /** Forwarders with the same group share the events (`$share/<group>/…`); empty: this forwarder takes them all. */
    shareGroup: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9._-]{0,64}$/)
      .default(''),
    /** Distinguishes this forwarder's MQTT session from others'; empty: derived from the computer's name. */
    instanceId: z
      .string()
      .max(36)
      .regex(/^[A-Za-z0-9._-]{0,36}$/)
      .default(''),
    /** How long the broker keeps the forwarder's session (and its events) while it is away. */
    sessionExpirySeconds: z
      .number()
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(7 * 86_400),
    /** Take the events of the mbed bridge running in the same process. */
    mbed: z.boolean().default(false),
    rules: z.array(historianRuleSchema).min(1).max(200),
  })
  .strict()
export type HistorianSettings = z.infer<typeof historianSettingsSchema>

// ---- status -----------------------------------------------------------------------------------------------------------

export const destinationStateSchema = z.enum(['idle', 'connected', 'backingOff', 'paused', 'failed', 'stopped'])
export type DestinationState = z.infer<typeof destinationStateSchema>

export const destinationStatusSchema = z.object({
  ref: destinationRefSchema,
  name: z.string(),
  state: destinationStateSchema,
  /** Why it is backing off or failed. */
  reason: errorInfoSchema.nullable(),
  /** When a destination backing off tries again (ISO). */
  nextTryAt: z.string().nullable(),
  eventsPerSecond: z.number(),
  /** Events stored (or found already stored) since the forwarder started. */
  delivered: z.number().int(),
  /** Events the destination refused for good (too large, rejected by a validation function). */
  refused: z.number().int(),
  queued: z.number().int(),
  queueSize: z.number().int(),
  /** When the oldest queued event was received (ISO), and its age. */
  oldestQueuedAt: z.string().nullable(),
  oldestQueuedAgeSeconds: z.number().nullable(),
  /** Dropped because the queue was full (oldest first), over the queue's life. */
  dropped: z.number().int(),
  lastError: errorInfoSchema.nullable(),
  lastErrorAt: z.string().nullable(),
  /**
   * When the batch in flight the longest was sent (ISO), once it has waited for an answer DESTINATION_WAITING_MS or
   * more: a destination slow or hung says so, where 'connected' tells only that its last exchange worked (a hung Kafka
   * broker takes kafkajs's retries of 30 s timeouts, about two minutes, to fail). A status written before reads as null.
   */
  waitingSince: z.string().nullable().default(null),
})
/** A batch answered within this long is no news; past it, the destination's status says since when it waits. */
export const DESTINATION_WAITING_MS = 10_000
export type DestinationStatus = z.infer<typeof destinationStatusSchema>

export const historianStateSchema = z.enum(['stopped', 'starting', 'running', 'stopping', 'failed'])
export type HistorianState = z.infer<typeof historianStateSchema>

export const historianStatusSchema = z.object({
  state: historianStateSchema,
  reason: errorInfoSchema.nullable(),
  /** The historian profile running ('env' for a configuration from environment variables). */
  profileId: z.string().nullable(),
  since: z.string(),
  mqtt: z.object({
    state: z.enum(['off', 'idle', 'connecting', 'connected', 'reconnecting', 'stopped', 'failed']),
    filter: z.string().nullable(),
    reason: errorInfoSchema.nullable(),
  }),
  mbed: z.enum(['off', 'on']),
  /** Device events taken from the sources, and those no rule matched. */
  received: z.number().int(),
  unmatched: z.number().int(),
  /** Events a source handed over that could not be written to a queue (the MQTT source then does not acknowledge them). */
  intakeFailures: z.number().int(),
  /**
   * Messages the sources delivered on topics that name no device event the platform allows (an event id such as
   * `=2-5`): acknowledged and not stored, so counted here, with the last such topic (cut to 200 characters). A status
   * file written before they were counted reads as none.
   */
  unreadableTopics: z.number().int().default(0),
  lastUnreadableTopic: z.string().max(200).nullable().default(null),
  destinations: z.array(destinationStatusSchema),
  /**
   * Only on the status of a forwarder that is not running: its last run ended without stopping (the process was killed
   * or crashed while it ran), as of this time (ISO), the last its status file was written. Absent otherwise.
   */
  endedAbruptlyAt: z.string().optional(),
})
export type HistorianStatus = z.infer<typeof historianStatusSchema>

// ---- history ----------------------------------------------------------------------------------------------------------

export const historyEventSchema = z.object({
  id: z.string(),
  typeId: z.string(),
  deviceId: z.string(),
  eventId: z.string(),
  format: z.string(),
  /** ISO time in the destination's zone. */
  timestamp: z.string(),
  /** The payload as JSON when it was JSON with format 'json'; otherwise `payload` (base64). */
  data: z.unknown().optional(),
  payload: z.string().optional(),
})
export type HistoryEvent = z.infer<typeof historyEventSchema>

export const HISTORY_PAGE_MAX = 1000

const deviceIdSchema = z
  .string()
  .max(36)
  .regex(/^[A-Za-z0-9._-]{1,36}$/, { message: "must be 1–36 letters, digits, '-', '_' or '.'" })
const profileIdSchema = z
  .string()
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/)
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO date and time (2024-05-01T00:00:00Z)' }).max(64)

export const historyInputSchema = z
  .object({
    typeId: deviceIdSchema,
    deviceId: deviceIdSchema,
    from: isoTime,
    to: isoTime,
    /** The Cloudant/CouchDB profile to read; the default one when absent. */
    destination: profileIdSchema.optional(),
    /** From the previous page's `next`. */
    cursor: z.string().max(2000).optional(),
    limit: z.number().int().min(1).max(HISTORY_PAGE_MAX).default(200),
  })
  .strict()
  // Two times to compare, or nothing to say: a missing or unreadable one is refused at its own field, and "to" must not
  // be called after a "from" that is not there.
  .refine((v) => !(Date.parse(v.from) > Date.parse(v.to)), { message: 'from must not be after to', path: ['to'], params: { messageKey: 'historian.rangeReversed' } })

export const historyPageSchema = z.object({
  items: z.array(historyEventSchema),
  /** Pass as `cursor` for the next page; null on the last one. */
  next: z.string().nullable(),
  /** Read from the local copy of what was fetched before, because the destination could not be reached (`offline`). */
  fromCache: z.boolean(),
  offline: errorInfoSchema.nullable(),
  /**
   * When what the page shows was read from the destination (ISO): now for a page read from it; for the local copy, the
   * oldest read among its events (events stored since then are missing from it). Null for an empty local copy.
   */
  asOf: z.string().nullable(),
})
export type HistoryPage = z.infer<typeof historyPageSchema>

export const bucketListSchema = z.object({
  retentionBuckets: z.number().int(),
  /** Every bucket database of the destination, oldest first. */
  databases: z.array(z.object({ name: z.string(), bucket: z.string() })),
  /** Older than the retention allows: deleted only when the operator confirms this very list. */
  expired: z.array(z.string()),
})

// ---- channels and events ------------------------------------------------------------------------------------------

const nothing = z.object({}).strict()
const destinationInput = z.object({ destination: destinationRefSchema }).strict()
const couchInput = z.object({ destination: profileIdSchema }).strict()

export const historianChannels = {
  'historian:status': { input: nothing, output: historianStatusSchema },
  /** Starts the forwarder of the named (or default) historian profile; audited. */
  'historian:start': { input: z.object({ profileId: profileIdSchema.optional() }).strict(), output: historianStatusSchema },
  /** Stops it after draining what the destinations accept in time; what is left stays queued on disk. Audited. */
  'historian:stop': { input: nothing, output: z.object({ status: historianStatusSchema, queued: z.number().int() }) },
  'historian:pause': { input: destinationInput, output: destinationStatusSchema },
  'historian:resume': { input: destinationInput, output: destinationStatusSchema },
  /** A device's events for a time range, read back from the bucket databases, paged across them. */
  'historian:history': { input: historyInputSchema, output: historyPageSchema },
  'historian:buckets': { input: couchInput, output: bucketListSchema },
  /** Deletes bucket databases the retention no longer keeps; only names of the current `expired` list. Audited. */
  'historian:deleteBuckets': {
    input: z.object({ destination: profileIdSchema, databases: z.array(z.string().regex(COUCH_DB_NAME).max(238)).min(1).max(1000) }).strict(),
    output: z.object({ deleted: z.array(z.string()), refused: z.array(z.object({ name: z.string(), reason: errorInfoSchema })) }),
  },
} as const

export const historianEvents = {
  'historian:status': historianStatusSchema,
} as const
