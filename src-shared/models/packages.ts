/** Custom device-management packages as they cross the bridge. */
import { z } from 'zod'
import { DM_ID_PATTERN } from './platform-ids'

/** Bundle, action and parameter ids (docs/wire/dm-packages.md §4): ≤ 255 letters, digits, '-', '_', '.'. */
export const dmIdentifierSchema = z.string().max(255).regex(DM_ID_PATTERN, { message: "must be 1–255 letters, digits, '-', '_' or '.'" })

/** Packages larger than this (in UTF-8) are refused before they are read, in the core and in the UI alike. */
export const MAX_PACKAGE_BYTES = 5 * 1024 * 1024

const localeMap = z.record(z.string(), z.string())

export const packageSummarySchema = z.object({
  bundleId: z.string(),
  version: z.string().nullable(),
  provider: z.string().nullable(),
  displayName: localeMap,
  actionCount: z.number().int(),
  updatedAt: z.string(),
})
export type PackageSummary = z.infer<typeof packageSummarySchema>

export const packageParameterSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  required: z.boolean(),
  defaultValue: z.string().optional(),
})

export const packageDetailSchema = packageSummarySchema.extend({
  text: z.string(),
  description: localeMap.nullable(),
  actions: z.array(
    z.object({
      id: z.string(),
      actionDisplayName: localeMap,
      description: localeMap.nullable(),
      parameters: z.array(packageParameterSchema),
    }),
  ),
})
export type PackageDetail = z.infer<typeof packageDetailSchema>

/** What a device's response code means (docs/wire/platform-mqtt.md §3). */
export const DM_RESPONSE_CODES = [200, 202, 204, 400, 404, 409, 500, 501] as const

export const invocationResultSchema = z.object({
  reqId: z.string(),
  /** The device's rc, or null when it did not answer within the timeout. */
  rc: z.number().int().nullable(),
  timedOut: z.boolean(),
  topic: z.string(),
})
export type InvocationResult = z.infer<typeof invocationResultSchema>

/** Map of locale (e.g. "en_US") → text, with at least one entry. */
export type LocaleMap = Record<string, string>

export interface DmParameter {
  name: string
  /** Regular expression a supplied value must match as a whole; absent: any value. Numbers arrive as text. */
  value?: string
  /** Always present (the format's default is false); the strings "true"/"false" arrive as booleans. */
  required: boolean
  /** Numbers and booleans arrive as text. */
  defaultValue?: string
}

export interface DmAction {
  actionDisplayName: LocaleMap
  description?: LocaleMap
  /** Absent when the package has none (an empty array would be invalid if written back). */
  parameters?: DmParameter[]
}

/** A valid package, normalised: coerced forms replaced, unknown fields dropped, key order kept. */
export interface DmPackage {
  bundleId: string
  version?: string
  provider?: string
  displayName: LocaleMap
  description?: LocaleMap
  actions: Record<string, DmAction>
}

/**
 * A kept package and the platform (docs/wire/dm-packages.md §4 "REST"): `absent`, the platform holds no package with
 * its bundle id; `same`, it holds this very package; `differs`, it holds another package under the same id.
 */
export const platformPackageStateSchema = z.enum(['absent', 'same', 'differs'])
export type PlatformPackageState = z.infer<typeof platformPackageStateSchema>

/** The platform profile an operation used: the one named, else the default. */
export const platformProfileRefSchema = z.object({ id: z.string(), name: z.string() })

export const platformStatusSchema = z.object({ profile: platformProfileRefSchema, state: platformPackageStateSchema })

/** What the platform holds, each marked against the library: `notKept` when Fieldline keeps no package by that id. */
export const platformListSchema = z.object({
  profile: platformProfileRefSchema,
  items: z.array(
    z.object({
      bundleId: z.string(),
      version: z.string().nullable(),
      displayName: localeMap,
      state: z.enum(['same', 'differs', 'notKept']),
    }),
  ),
})

export const uploadResultSchema = z.object({ profile: platformProfileRefSchema, outcome: z.enum(['created', 'replaced', 'unchanged']) })
