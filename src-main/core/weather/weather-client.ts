/**
 * What both weather clients offer, and the pieces they share: how a quantity is written, and the HTTP client each
 * builds on the project's one factory.
 */
import type { WeatherLanguage, WeatherProvider, WeatherQuantityUnit, WeatherReading, WeatherUnits } from '../../../src-shared/models/weather'
import { createGovernor, type Governor } from '../http/governor'
import { createHttpClient, type HttpClient, type HttpTimeouts } from '../http/http-client'
import type { Logger } from '../log/logger'
import { round } from './units'

export interface WeatherPoint {
  latitude: number
  longitude: number
}

export interface ReadOptions {
  units: WeatherUnits
  language: WeatherLanguage
}

export interface WeatherClient {
  readonly provider: WeatherProvider
  /** The current weather and today's predicted extremes at `point`. */
  read(point: WeatherPoint, options: ReadOptions): Promise<WeatherReading>
  close(): Promise<void>
}

export interface WeatherClientOptions {
  baseUrl: string
  /** TWC's API key, or Open-Meteo's commercial key. */
  apiKey?: string
  /** The environment variable the key came from, when it did: a refusal of the key names it, not the Weather card. */
  keyVariable?: string
  /** Likewise the environment variable that gives the URL: a URL that leads nowhere names it, not the Weather card. */
  urlVariable?: string
  logger?: Logger
  now?: () => Date
  timeoutMs?: Partial<HttpTimeouts>
  /** Attempts per request (default 2): a panel should fall back to its cached reading quickly, not after a long back-off. */
  maxAttempts?: number
  governor?: Governor
}

/**
 * [I] Neither provider publishes a per-second limit (Open-Meteo's free API allows about 10,000 calls a day); two at a
 * time and five a second keep a fleet's worth of panels well inside both.
 */
export function weatherHttpClient(options: WeatherClientOptions, service: string): HttpClient {
  return createHttpClient({
    baseUrl: options.baseUrl,
    service,
    governor: options.governor ?? createGovernor({ concurrency: 2, perSecond: 5 }),
    maxAttempts: options.maxAttempts ?? 2,
    // Weather answers are a few kilobytes.
    maxBodyBytes: 1024 * 1024,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  })
}

export function quantity(value: number | null, unit: WeatherQuantityUnit): { value: number | null; unit: WeatherQuantityUnit } {
  return { value: value === null ? null : round(value, unit), unit }
}

/** `cache-control: max-age=N` as an instant, or null when the header does not give one. */
export function maxAgeExpiry(header: string | undefined, fetchedAt: number): number | null {
  const m = header ? /(?:^|,)\s*max-age\s*=\s*(\d{1,9})\s*(?:,|$)/i.exec(header) : null
  return m ? fetchedAt + Number(m[1]) * 1000 : null
}
