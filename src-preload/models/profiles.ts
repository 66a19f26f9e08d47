/**
 * Extension profiles as they cross the bridge: one account at an external service. Secrets never appear
 * here as values — only whether each is set.
 */
import { z } from 'zod'

export const CONTROL_CENTER_EXTENSIONS = ['jasper', 'atnt'] as const
export const controlCenterExtensionSchema = z.enum(CONTROL_CENTER_EXTENSIONS)
export type ControlCenterExtension = z.infer<typeof controlCenterExtensionSchema>

/** AT&T's Control Center API host (carriers.md §3), offered as the default for new AT&T profiles. */
export const ATNT_DEFAULT_BASE_URL = 'https://api-iotdevice.att.com'

export const profileIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, { message: "must be 1–48 lower-case letters, digits or '-'" })

/** Secrets of a Control Center profile: the REST API key, and the SOAP password + license key pair. */
export const CONTROL_CENTER_SECRETS = ['apiKey', 'password', 'licenseKey'] as const
export type ControlCenterSecret = (typeof CONTROL_CENTER_SECRETS)[number]

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

export const profileSaveSchema = z
  .object({
    extension: controlCenterExtensionSchema,
    /** Absent for a new profile: the core derives one from the name. */
    id: profileIdSchema.optional(),
    name: z.string().trim().min(1).max(80),
    settings: controlCenterSettingsSchema,
    /** A value sets or replaces the secret, null clears it, absent leaves it as it is. */
    secrets: z.object({ apiKey: secretValue.optional(), password: secretValue.optional(), licenseKey: secretValue.optional() }).strict().default({}),
    isDefault: z.boolean().optional(),
  })
  .strict()

export const profileSchema = z.object({
  id: profileIdSchema,
  extension: controlCenterExtensionSchema,
  name: z.string(),
  settings: controlCenterSettingsSchema,
  secrets: z.object({ apiKey: z.boolean(), password: z.boolean(), licenseKey: z.boolean() }),
  isDefault: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Profile = z.infer<typeof profileSchema>

export const profileKeySchema = z.object({ extension: controlCenterExtensionSchema, id: profileIdSchema }).strict()
