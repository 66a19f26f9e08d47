/**
 * Queries over the device list, as the device list screens, the CLI and exports ask them: text and field filters, a
 * sort by any column, pages, counts and facets, selections that are queries (so "all 1,000,000 matching" is one small
 * value), and streamed exports. Spread into the contract's channels (`...deviceChannels`), like the mbed channels.
 */
import { z } from 'zod'
import { deviceIdSchema, deviceKeySchema } from './device-id'
import { CARRIERS, SIM_STATUSES } from './sim'
import { WEATHER_QUANTITY_UNITS } from './weather'

/** The columns of the device list, by the name a row carries them under (CLI `--columns`, CSV headers, sort keys). */
export const DEVICE_COLUMNS = [
  'typeId',
  'deviceId',
  'description',
  'carrier',
  /** The SIM's identifier as the configuration names it: the ICCID (Jasper, AT&T) or the serial number (Orange). */
  'simId',
  'simStatus',
  /** When the SIM's status, rate plan and data were read from the carrier (the cache's "as of"). */
  'simAsOf',
  'ratePlan',
  'dataThisCycleBytes',
  'extensions',
  /** The device's last change. */
  'updatedAt',
  'configErrors',
  'dmSupport',
  /** The last weather reading at the device's location, from the weather cache: its phrase, temperature, wind speed and "as of". */
  'weatherPhrase',
  'weatherTemperature',
  'weatherWindSpeed',
  'weatherAsOf',
] as const
export const deviceColumnSchema = z.enum(DEVICE_COLUMNS)
export type DeviceColumn = z.infer<typeof deviceColumnSchema>

/** A metadata field shown as a column: `metadata.site`. Shown and exported; not sortable or filterable. */
export const METADATA_COLUMN_PATTERN = /^metadata\.\P{Cc}{1,64}$/u
export const listColumnSchema = z.union([deviceColumnSchema, z.string().max(73).regex(METADATA_COLUMN_PATTERN, { message: 'must be a column name or metadata.<field>' })])
export type ListColumn = z.infer<typeof listColumnSchema>

/** A device with a SIM the carrier cache has not read yet; a device without a SIM has no SIM status (null, filter "none"). */
export const SIM_NOT_CACHED = 'notCached'
export const simColumnStatusSchema = z.enum([...SIM_STATUSES, SIM_NOT_CACHED])

/**
 * The weather cache of a device with a location: a reading is cached ('cached'), none was ever fetched ('notFetched'),
 * or the cached one is for an earlier location ('moved', not shown as the weather there). A device without a location
 * has none (null, filter "none").
 */
export const WEATHER_STATES = ['cached', 'notFetched', 'moved'] as const
export type WeatherState = (typeof WEATHER_STATES)[number]

/** Extension names as configuration keys are written; "none" filters devices without any. */
const extensionNameSchema = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9-]{0,31}$/, { message: 'must be an extension name' })

/** Values within one field are alternatives (any of them); different fields must all hold. */
export const deviceFiltersSchema = z
  .object({
    typeId: z.array(deviceIdSchema).min(1).max(100).optional(),
    carrier: z
      .array(z.enum([...CARRIERS, 'none']))
      .min(1)
      .max(4)
      .optional(),
    simStatus: z
      .array(z.enum([...SIM_STATUSES, SIM_NOT_CACHED, 'none']))
      .min(1)
      .max(SIM_STATUSES.length + 2)
      .optional(),
    extension: z.array(extensionNameSchema).min(1).max(20).optional(),
    configErrors: z.boolean().optional(),
    dmSupport: z.boolean().optional(),
    weather: z
      .array(z.enum([...WEATHER_STATES, 'none']))
      .min(1)
      .max(WEATHER_STATES.length + 1)
      .optional(),
  })
  .strict()
export type DeviceFilters = z.infer<typeof deviceFiltersSchema>
export const FILTER_FIELDS = ['typeId', 'carrier', 'simStatus', 'extension', 'configErrors', 'dmSupport', 'weather'] as const

/**
 * `text`: every word must begin a word of the device's type, ID, description, ICCID or serial number, or name its
 * carrier or an extension (case and accents ignored; "gw-00" finds gw-0042, "0042" finds it too, "42" does not).
 */
export const deviceQuerySchema = z
  .object({
    text: z.string().max(200).default(''),
    filters: deviceFiltersSchema.default({}),
    sort: deviceColumnSchema.default('typeId'),
    descending: z.boolean().default(false),
  })
  .strict()
export type DeviceQuery = z.output<typeof deviceQuerySchema>
export type DeviceQueryInput = z.input<typeof deviceQuerySchema>

/**
 * Whether a search text has something to search for: its terms are runs of letters and digits (the core's rule,
 * devices/listing/text.ts), so a text of punctuation alone ("!!!", "—") searches nothing and every device matches.
 */
export const hasSearchWord = (text: string): boolean => /[\p{L}\p{N}]/u.test(text)

/** Keys a selection may name one by one (picked rows, or rows taken out of "all matching"). */
export const MAX_SELECTION_KEYS = 10_000

/**
 * What the operator selected: all devices matching a query except some, or some devices picked one by one (shown in
 * the order `sort` gives). A selection of a million devices is this small value, not a list of a million ids.
 */
export const deviceSelectionSchema = z.union([
  z
    .object({
      query: deviceQuerySchema,
      except: z.array(deviceKeySchema.strict()).max(MAX_SELECTION_KEYS).default([]),
    })
    .strict(),
  z
    .object({
      keys: z.array(deviceKeySchema.strict()).min(1).max(MAX_SELECTION_KEYS),
      sort: deviceColumnSchema.default('typeId'),
      descending: z.boolean().default(false),
    })
    .strict(),
])
export type DeviceSelection = z.output<typeof deviceSelectionSchema>

export const FACET_FIELDS = ['typeId', 'carrier', 'simStatus', 'extension', 'configErrors', 'dmSupport', 'weather'] as const
export const facetFieldSchema = z.enum(FACET_FIELDS)
export type FacetField = z.infer<typeof facetFieldSchema>

/** A weather value in the unit its reading was fetched in (the workspace's units when it was fetched). */
export const weatherQuantitySchema = z.object({ value: z.number(), unit: z.enum(WEATHER_QUANTITY_UNITS) })
export type WeatherQuantity = z.infer<typeof weatherQuantitySchema>

/** One row of the device list. Null: the device has no such value (no SIM, not read yet, no description). */
export const deviceRowSchema = z.object({
  typeId: z.string(),
  deviceId: z.string(),
  description: z.string(),
  extensions: z.array(z.string()),
  carrier: z.string().nullable(),
  simId: z.string().nullable(),
  simStatus: z.string().nullable(),
  simAsOf: z.string().nullable(),
  ratePlan: z.string().nullable(),
  dataThisCycleBytes: z.number().nullable(),
  updatedAt: z.string(),
  configErrors: z.boolean(),
  dmSupport: z.boolean(),
  /** A WEATHER_STATES value, or null for a device without a location; the weather columns hold values only when 'cached'. */
  weatherStatus: z.enum(WEATHER_STATES).nullable(),
  weatherPhrase: z.string().nullable(),
  weatherTemperature: weatherQuantitySchema.nullable(),
  weatherWindSpeed: weatherQuantitySchema.nullable(),
  /** When the provider observed the cached reading. */
  weatherAsOf: z.string().nullable(),
  /** The metadata fields asked for (`metadataFields`), as text; absent fields are left out. */
  metadata: z.record(z.string(), z.string()),
})
export type DeviceRow = z.infer<typeof deviceRowSchema>

const metadataFieldSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\P{Cc}+$/u, { message: 'must be a metadata field name' })

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const

export const deviceChannels = {
  /**
   * A page of devices. `totalExact` is false when the text is so broad that counting every match would take longer
   * than answering (a million devices and a one-letter search): `total` is then an estimate from the rows examined, and
   * `devices:count` gives the exact number.
   */
  'devices:query': {
    input: z
      .object({
        query: deviceQuerySchema.default({ text: '', filters: {}, sort: 'typeId', descending: false }),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
        metadataFields: z.array(metadataFieldSchema).max(20).default([]),
      })
      .strict(),
    output: z.object({ total: z.number().int(), totalExact: z.boolean(), items: z.array(deviceRowSchema) }),
  },
  /** The exact number of devices a selection holds, and how they divide by the fields asked for. */
  'devices:count': {
    input: z
      .object({
        selection: deviceSelectionSchema,
        by: z.array(facetFieldSchema).max(FACET_FIELDS.length).default([]),
      })
      .strict(),
    output: z.object({
      total: z.number().int(),
      facets: z.array(z.object({ field: facetFieldSchema, values: z.array(z.object({ value: z.string(), count: z.number().int() })) })),
    }),
  },
  /** Starts an export of a selection; the file is then read with `export:next` until `done`. */
  'export:start': {
    input: z
      .object({
        selection: deviceSelectionSchema,
        columns: z.array(listColumnSchema).min(1).max(40),
        format: z.enum(EXPORT_FORMATS),
      })
      .strict(),
    output: z.object({ jobId: z.string(), total: z.number().int() }),
  },
  /** The next part of the file (at most 512 KiB of text), and how many rows are written so far. */
  'export:next': {
    input: z.object({ jobId: z.string().max(64) }).strict(),
    output: z.object({ data: z.string(), rows: z.number().int(), total: z.number().int(), done: z.boolean() }),
  },
  'export:cancel': {
    input: z.object({ jobId: z.string().max(64) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
} as const
