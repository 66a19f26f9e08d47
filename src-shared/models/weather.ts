/**
 * Weather at a device's location (docs/wire/weather.md §7, docs/wire/weather.md §4): the settings (provider, units,
 * language; API keys in the vault), and one normalised reading whichever provider answered.
 */
import { z } from 'zod'
import { errorInfoSchema, messageRefSchema } from './errors'
import { deviceLocationSchema } from './location'

/** Open-Meteo's free API (no key, non-commercial only), Open-Meteo with a commercial key, The Weather Company v3. */
export const WEATHER_PROVIDERS = ['open-meteo', 'open-meteo-commercial', 'twc'] as const
export const weatherProviderSchema = z.enum(WEATHER_PROVIDERS)
export type WeatherProvider = z.infer<typeof weatherProviderSchema>

/** TWC's unit systems (m, e, h, s): metric, imperial (English), UK hybrid (°C with mph), SI (wind in m/s). */
export const WEATHER_UNITS = ['metric', 'imperial', 'hybrid', 'si'] as const
export const weatherUnitsSchema = z.enum(WEATHER_UNITS)
export type WeatherUnits = z.infer<typeof weatherUnitsSchema>

/** The letter TWC's `units` parameter takes for each system, which the CLI's --units takes too. */
export const TWC_UNIT_CODES = { metric: 'm', imperial: 'e', hybrid: 'h', si: 's' } as const satisfies Record<WeatherUnits, string>

export const weatherLanguageSchema = z.enum(['en', 'fr'])
export type WeatherLanguage = z.infer<typeof weatherLanguageSchema>

export const WEATHER_DEFAULT_URLS = {
  twc: 'https://api.weather.com',
  openMeteo: 'https://api.open-meteo.com',
  openMeteoCommercial: 'https://customer-api.open-meteo.com',
} as const

/** Vault fields under the weather settings: TWC's API key, and Open-Meteo's commercial key. */
export const WEATHER_SECRETS = ['twcApiKey', 'openMeteoApiKey'] as const
export type WeatherSecret = (typeof WEATHER_SECRETS)[number]

/** Which of the settings' URLs and which vault key each provider uses (the core's requests, the UI's settings form). */
export const WEATHER_PROVIDER_PARTS: Readonly<Record<WeatherProvider, { url: keyof typeof WEATHER_DEFAULT_URLS; secret: WeatherSecret | null }>> = {
  'open-meteo': { url: 'openMeteo', secret: null },
  'open-meteo-commercial': { url: 'openMeteoCommercial', secret: 'openMeteoApiKey' },
  twc: { url: 'twc', secret: 'twcApiKey' },
}

const urlSchema = z.string().trim().min(1).max(300)
const secretValue = z.string().min(1).max(4096).nullable()

/** A value sets or replaces a key, null clears it, absent leaves it as it is. Absent URLs keep the saved (or default) ones. */
export const weatherSaveSchema = z
  .object({
    provider: weatherProviderSchema,
    units: weatherUnitsSchema,
    language: weatherLanguageSchema,
    urls: z.object({ twc: urlSchema.optional(), openMeteo: urlSchema.optional(), openMeteoCommercial: urlSchema.optional() }).strict().default({}),
    secrets: z.object({ twcApiKey: secretValue.optional(), openMeteoApiKey: secretValue.optional() }).strict().default({}),
  })
  .strict()
export type WeatherSaveInput = z.output<typeof weatherSaveSchema>

const noticeSchema = z.object({ message: z.string(), ref: messageRefSchema })

export const weatherSettingsViewSchema = z.object({
  provider: weatherProviderSchema,
  units: weatherUnitsSchema,
  language: weatherLanguageSchema,
  urls: z.object({ twc: z.string(), openMeteo: z.string(), openMeteoCommercial: z.string() }),
  secrets: z.object({ twcApiKey: z.boolean(), openMeteoApiKey: z.boolean() }),
  /** 'defaults': nothing saved yet; 'environment': FIELDLINE_WEATHER_* variables stand in for the saved settings (CLI). */
  source: z.enum(['saved', 'defaults', 'environment']),
  /** The provider's terms the operator must see: Open-Meteo's free API is for non-commercial use only. */
  notice: noticeSchema.nullable(),
  updatedAt: z.string().nullable(),
})
export type WeatherSettingsView = z.infer<typeof weatherSettingsViewSchema>

export const WEATHER_QUANTITY_UNITS = ['°C', '°F', 'km/h', 'mph', 'm/s', 'kn', 'hPa', 'inHg', 'km', 'mi', '%'] as const
const quantityUnitSchema = z.enum(WEATHER_QUANTITY_UNITS)
export type WeatherQuantityUnit = z.infer<typeof quantityUnitSchema>

/** A value in the unit it is given in; null when the provider gave none (TWC's gust in calm air). */
export const quantitySchema = z.object({ value: z.number().nullable(), unit: quantityUnitSchema })
export type Quantity = z.infer<typeof quantitySchema>

const pointSchema = z.object({ latitude: z.number(), longitude: z.number() })

export const weatherReadingSchema = z.object({
  provider: weatherProviderSchema,
  units: weatherUnitsSchema,
  language: weatherLanguageSchema,
  /** TWC's own phrase, or the WMO code's phrase in `language`. */
  phrase: z.string().nullable(),
  /** Open-Meteo's WMO code the phrase was made from (null for TWC). */
  weatherCode: z.number().int().nullable(),
  temperature: quantitySchema,
  /** Today's predicted maximum and minimum at the location (for TWC, the calendar day's: the day part's max is null after 15:00). */
  predictedMax: quantitySchema,
  predictedMin: quantitySchema,
  relativeHumidity: quantitySchema,
  pressure: quantitySchema,
  /** `unlimited`: TWC's 999, shown as unlimited rather than as a distance. */
  visibility: quantitySchema.extend({ unlimited: z.boolean() }),
  wind: z.object({
    speed: quantitySchema,
    gust: quantitySchema,
    /** Degrees the wind blows from (0 = north); null in calm or variable wind. */
    direction: z.number().nullable(),
    /** The compass point: TWC's text (it may say CALM or VAR), or derived from the degrees in `language`. */
    cardinal: z.string().nullable(),
  }),
  /** The point asked for (the device's location). */
  requested: pointSchema,
  /** The grid cell Open-Meteo snapped the point to (TWC does not say: null). */
  grid: pointSchema.extend({ elevation: z.number().nullable() }).nullable(),
  /** "As of": when the provider's values were observed or computed. */
  observedAt: z.string(),
  fetchedAt: z.string(),
  /** Until when the provider says the values hold (its expiry); Fieldline does not ask again before then. */
  expiresAt: z.string(),
  /** The credit the provider's terms require to be shown with its data. */
  attribution: z.object({ text: z.string(), url: z.string() }),
})
export type WeatherReading = z.infer<typeof weatherReadingSchema>

/**
 * The weather a device panel shows: fresh from the provider, or the last reading (with why the provider could not be
 * asked) so an operator on a dead link still sees it "as of" its time.
 */
export const weatherViewSchema = z.object({
  typeId: z.string(),
  deviceId: z.string(),
  location: deviceLocationSchema,
  reading: weatherReadingSchema,
  fromCache: z.boolean(),
  offline: errorInfoSchema.nullable(),
})
export type WeatherView = z.infer<typeof weatherViewSchema>
