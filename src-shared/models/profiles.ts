/**
 * Extension profiles as they cross the bridge: one account at an external service. Secrets never appear
 * here as values — only whether each is set.
 */
import { z } from 'zod'
import { mbedPresubscriptionsSchema } from './mbed-presubscriptions'
import { couchSettingsSchema, historianSettingsSchema, kafkaSettingsSchema } from './historian'
import { DEVICE_ID_PATTERN } from './platform-ids'

export const CONTROL_CENTER_EXTENSIONS = ['jasper', 'atnt'] as const
export const controlCenterExtensionSchema = z.enum(CONTROL_CENTER_EXTENSIONS)
export type ControlCenterExtension = z.infer<typeof controlCenterExtensionSchema>

/** AT&T's Control Center API host (docs/wire/control-center.md §3), offered as the default for new AT&T profiles. */
export const ATNT_DEFAULT_BASE_URL = 'https://api-iotdevice.att.com'

export const profileIdSchema = z
  .string()
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { message: "must be 1–48 lower-case letters, digits or '-'" })

/**
 * A profile's document id (`profile:<extension>:<id>`), which is also the vault's name for its secrets
 * (`<document id>/<field>`): the renderer asks `vault:isSet` with it whether the keychain still holds one.
 */
export function profileDocId(extension: string, id: string): string {
  return `profile:${extension}:${id}`
}

/** Secret fields of each kind of profile: the values live in the vault only. */
export const PROFILE_SECRETS = {
  jasper: ['apiKey', 'password', 'licenseKey'],
  atnt: ['apiKey', 'password', 'licenseKey'],
  orange: ['password'],
  mbed: ['accessKey'],
  platform: ['password'],
  couchdb: ['apiKey', 'password'],
  kafka: ['password', 'clientKey'],
  historian: [],
} as const

export const controlCenterSettingsSchema = z
  .object({
    /** The Control Center API host or base URL (what the 2017 platform called the "domain ID"). */
    baseUrl: z.string().trim().min(1).max(300),
    username: z.string().trim().min(1).max(200),
    /** Rate governor: Cisco's guidance is one call at a time and at most 5 calls per second. */
    concurrency: z.number().int().min(1).max(4).default(1),
    perSecond: z.number().min(0.2).max(50).default(5),
  })
  .strict()
export type ControlCenterSettings = z.infer<typeof controlCenterSettingsSchema>

const secretValue = z.string().min(1).max(4096).nullable()

/** Orange M2M web services (docs/wire/orange.md §4.2, the SDK's m2m.ini): the services live under this base, one path each. */
export const ORANGE_DEFAULT_BASE_URL = 'https://iosw-ba.orange.com/MLM'

export const orangeSettingsSchema = z
  .object({
    baseUrl: z.string().trim().min(1).max(300).default(ORANGE_DEFAULT_BASE_URL),
    /** The access key (the SDK's `login`); its password is the profile's secret. */
    username: z.string().trim().min(1).max(200),
    /**
     * Rate governor. Orange documents no limit (§4); one call at a time and 5 per second, Control Center's guidance,
     * keep a console well below what any M2M platform tolerates.
     */
    concurrency: z.number().int().min(1).max(4).default(1),
    perSecond: z.number().min(0.2).max(50).default(5),
  })
  .strict()
export type OrangeSettings = z.infer<typeof orangeSettingsSchema>

/**
 * Every kind of profile: the carriers (two Control Centers, Orange), the mbed Connector, the platform's MQTT broker, and
 * historical data storage (its destinations and its forwarders, models/historian.ts).
 */
export const PROFILE_EXTENSIONS = ['jasper', 'atnt', 'orange', 'mbed', 'platform', 'couchdb', 'kafka', 'historian'] as const
export const profileExtensionSchema = z.enum(PROFILE_EXTENSIONS)
export type ProfileExtension = z.infer<typeof profileExtensionSchema>

/** The mbed Connector's default API host (docs/wire/mbed.md §1.1). */
export const MBED_DEFAULT_API_URL = 'https://api.connector.mbed.com'

export const mbedSettingsSchema = z
  .object({
    apiUrl: z.string().trim().min(1).max(300).default(MBED_DEFAULT_API_URL),
    /** `pelion` hosts (Pelion/Izuma) use the newer forms: device-requests, the WebSocket channel. */
    flavour: z.enum(['connector', 'pelion']).default('connector'),
    /** The Connector domain ID of the 2017 platform's form; informational for the v2 API (Bearer keys carry the domain). */
    domainId: z.string().trim().max(100).default(''),
    channel: z.enum(['longpoll', 'websocket']).default('longpoll'),
    /** Device type for endpoints whose type is unknown. */
    defaultDeviceType: z.string().max(36).regex(DEVICE_ID_PATTERN).default('mbed'),
    /** Notifications held while the MQTT link is down; overflow drops the oldest and counts them. */
    queueSize: z.number().int().min(100).max(1_000_000).default(10_000),
    /** Which platform (MQTT) profile the bridge publishes to; the default one when empty. */
    platformProfile: z.string().max(48).default(''),
    /**
     * Pre-subscription rules (docs/wire/mbed.md §1.4, mbed-presubscriptions.ts). null (the default): no pre-subscriptions
     * are written and the bridge subscribes every observable resource of each registered endpoint itself; a list: the
     * bridge writes it at start and subscribes what it covers on endpoints registered before ([] subscribes nothing
     * automatically: the operator subscribes resources one by one).
     */
    presubscriptions: mbedPresubscriptionsSchema.nullable().default(null),
  })
  .strict()
export type MbedSettings = z.infer<typeof mbedSettingsSchema>

export const platformSettingsSchema = z
  .object({
    /** mqtt://, mqtts://, ws:// or wss://; plain transports to another host are allowed with a warning. */
    url: z.string().trim().min(1).max(300),
    /** Application client id, `a:<org>:<appId>` (docs/wire/platform-mqtt.md §3). */
    clientId: z.string().trim().min(1).max(200),
    username: z.string().trim().max(200).default(''),
    /** A private CA (PEM) added to the trusted roots; a certificate is public, so it is not a secret. */
    ca: z.string().max(100_000).default(''),
    /**
     * The REST API base (`…/api/v0002`, docs/wire/dm-packages.md §4 "REST"); empty: derived from the client id's org
     * (platform-rest.ts). Set for a dedicated or on-premises host, or a test peer.
     */
    restUrl: z.string().trim().max(300).default(''),
  })
  .strict()
export type PlatformSettings = z.infer<typeof platformSettingsSchema>

const saveBase = {
  /** Absent for a new profile: the core derives one from the name. */
  id: profileIdSchema.optional(),
  name: z.string().trim().min(1).max(80),
  isDefault: z.boolean().optional(),
}

export const controlCenterProfileSaveSchema = z
  .object({
    ...saveBase,
    extension: controlCenterExtensionSchema,
    settings: controlCenterSettingsSchema,
    secrets: z.object({ apiKey: secretValue.optional(), password: secretValue.optional(), licenseKey: secretValue.optional() }).strict().default({}),
  })
  .strict()

export const orangeProfileSaveSchema = z
  .object({ ...saveBase, extension: z.literal('orange'), settings: orangeSettingsSchema, secrets: z.object({ password: secretValue.optional() }).strict().default({}) })
  .strict()

export const mbedProfileSaveSchema = z
  .object({
    ...saveBase,
    extension: z.literal('mbed'),
    // Absent rules keep the saved ones (a form that does not edit them must not wipe them); null sets the default.
    settings: mbedSettingsSchema.extend({ presubscriptions: mbedPresubscriptionsSchema.nullable().optional() }),
    secrets: z.object({ accessKey: secretValue.optional() }).strict().default({}),
  })
  .strict()

export const platformProfileSaveSchema = z
  .object({ ...saveBase, extension: z.literal('platform'), settings: platformSettingsSchema, secrets: z.object({ password: secretValue.optional() }).strict().default({}) })
  .strict()

export const couchdbProfileSaveSchema = z
  .object({
    ...saveBase,
    extension: z.literal('couchdb'),
    settings: couchSettingsSchema,
    secrets: z.object({ apiKey: secretValue.optional(), password: secretValue.optional() }).strict().default({}),
  })
  .strict()

export const kafkaProfileSaveSchema = z
  .object({
    ...saveBase,
    extension: z.literal('kafka'),
    settings: kafkaSettingsSchema,
    // A PEM private key is longer than the other secrets.
    secrets: z
      .object({ password: secretValue.optional(), clientKey: z.string().min(1).max(100_000).nullable().optional() })
      .strict()
      .default({}),
  })
  .strict()

export const historianProfileSaveSchema = z.object({ ...saveBase, extension: z.literal('historian'), settings: historianSettingsSchema, secrets: z.object({}).strict().default({}) }).strict()

/** A value sets or replaces a secret, null clears it, absent leaves it as it is. */
export const profileSaveSchema = z.union([
  controlCenterProfileSaveSchema,
  orangeProfileSaveSchema,
  mbedProfileSaveSchema,
  platformProfileSaveSchema,
  couchdbProfileSaveSchema,
  kafkaProfileSaveSchema,
  historianProfileSaveSchema,
])

const profileBase = { id: profileIdSchema, name: z.string(), isDefault: z.boolean(), createdAt: z.string(), updatedAt: z.string() }

export const controlCenterProfileSchema = z.object({
  ...profileBase,
  extension: controlCenterExtensionSchema,
  settings: controlCenterSettingsSchema,
  secrets: z.object({ apiKey: z.boolean(), password: z.boolean(), licenseKey: z.boolean() }),
})
export type ControlCenterProfile = z.infer<typeof controlCenterProfileSchema>

export const orangeProfileSchema = z.object({ ...profileBase, extension: z.literal('orange'), settings: orangeSettingsSchema, secrets: z.object({ password: z.boolean() }) })
export type OrangeProfile = z.infer<typeof orangeProfileSchema>

export const mbedProfileSchema = z.object({ ...profileBase, extension: z.literal('mbed'), settings: mbedSettingsSchema, secrets: z.object({ accessKey: z.boolean() }) })
export type MbedProfile = z.infer<typeof mbedProfileSchema>

export const platformProfileSchema = z.object({
  ...profileBase,
  extension: z.literal('platform'),
  settings: platformSettingsSchema,
  secrets: z.object({ password: z.boolean() }),
  /** plain-remote: an unencrypted transport to another host, allowed but shown with a warning. */
  security: z.enum(['tls', 'loopback-plain', 'plain-remote']),
})
export type PlatformProfile = z.infer<typeof platformProfileSchema>

export const couchProfileSchema = z.object({ ...profileBase, extension: z.literal('couchdb'), settings: couchSettingsSchema, secrets: z.object({ apiKey: z.boolean(), password: z.boolean() }) })
export type CouchProfile = z.infer<typeof couchProfileSchema>

export const kafkaProfileSchema = z.object({ ...profileBase, extension: z.literal('kafka'), settings: kafkaSettingsSchema, secrets: z.object({ password: z.boolean(), clientKey: z.boolean() }) })
export type KafkaProfile = z.infer<typeof kafkaProfileSchema>

export const historianProfileSchema = z.object({ ...profileBase, extension: z.literal('historian'), settings: historianSettingsSchema, secrets: z.object({}) })
export type HistorianProfile = z.infer<typeof historianProfileSchema>

export const profileSchema = z.union([controlCenterProfileSchema, orangeProfileSchema, mbedProfileSchema, platformProfileSchema, couchProfileSchema, kafkaProfileSchema, historianProfileSchema])
export type Profile = z.infer<typeof profileSchema>

export function isControlCenterProfile(p: Profile): p is ControlCenterProfile {
  return p.extension === 'jasper' || p.extension === 'atnt'
}

export const profileKeySchema = z.object({ extension: profileExtensionSchema, id: profileIdSchema }).strict()
