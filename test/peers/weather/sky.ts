/**
 * The weather the peer reports: a deterministic world in metric units from which both providers' answers are
 * rendered, so a test can ask TWC and Open-Meteo about one point and compare. Any point has weather (seeded by the
 * point and the hour); a few named sites carry the tricky cases of docs/wire/weather.md §4.
 */
import { prng } from '../mbed/registry'

export interface Point {
  latitude: number
  longitude: number
}

/** Fixture sites: a test places a device there to meet that case. */
export const SITES = {
  /** Grenoble on a still day: no wind, so no direction and TWC's `windGust` is null. */
  calm: { latitude: 45.19, longitude: 5.72 },
  /** Paranal in the Atacama: TWC's visibility is 999, "unlimited". */
  clear: { latitude: -24.63, longitude: -70.4 },
  /** Brest in a gale: gusts, a west-south-west wind, rain. */
  gale: { latitude: 48.39, longitude: -4.49 },
} as const

export interface Conditions {
  temperatureC: number
  feelsLikeC: number
  humidity: number
  pressureHpa: number
  visibilityKm: number | 'unlimited'
  windKmh: number
  gustKmh: number | null
  /** Null in calm air. */
  directionDeg: number | null
  /** WMO code (Open-Meteo) and the matching TWC phrase. */
  wmo: number
  uvIndex: number
}

export interface Day {
  /** Local calendar date at the point, YYYY-MM-DD. */
  date: string
  /** Midnight-to-midnight extremes (TWC `calendarDayTemperature*`, Open-Meteo `temperature_2m_*`). */
  calendarMaxC: number
  calendarMinC: number
  /** TWC's day part high (7:00–19:00) and night low. */
  daytimeMaxC: number
  nightMinC: number
  wmo: number
  precipChanceDay: number
  precipChanceNight: number
}

/** TWC's phrase for each WMO code the world uses, in the two languages the peer serves. */
export const TWC_PHRASES: Readonly<Record<number, { en: string; fr: string }>> = {
  0: { en: 'Sunny', fr: 'Ensoleillé' },
  2: { en: 'Partly Cloudy', fr: 'Partiellement nuageux' },
  3: { en: 'Cloudy', fr: 'Nuageux' },
  45: { en: 'Fog', fr: 'Brouillard' },
  63: { en: 'Rain', fr: 'Pluie' },
}
const CODES = [0, 2, 3, 45, 63]

/** The world is drawn per 0.1° cell, so a point and the grid cell Open-Meteo snaps it to have the same weather. */
const cell = (n: number) => Math.round(n * 10)

function same(p: Point, site: Point): boolean {
  return cell(p.latitude) === cell(site.latitude) && cell(p.longitude) === cell(site.longitude)
}

function seedOf(p: Point, salt: number): number {
  return (cell(p.latitude) * 73_856_093) ^ (cell(p.longitude) * 19_349_663) ^ salt
}

/**
 * [I] Open-Meteo resolves `timezone=auto` with a time-zone database and TWC localises by the point too; the peer has
 * no such database and uses the nautical zone (one hour per 15° of longitude). Tests use the same rule.
 */
export function utcOffsetSeconds(p: Point): number {
  return Math.round(cell(p.longitude) / 150) * 3600
}

const round1 = (n: number) => Math.round(n * 10) / 10

export function conditionsAt(p: Point, atMs: number): Conditions {
  const random = prng(seedOf(p, Math.floor(atMs / 3_600_000)))
  const temperatureC = round1(20 - Math.abs(p.latitude) * 0.4 + random() * 10)
  const base: Conditions = {
    temperatureC,
    feelsLikeC: round1(temperatureC - 1.5),
    humidity: 40 + Math.floor(random() * 50),
    pressureHpa: round1(1000 + random() * 30),
    visibilityKm: round1(8 + random() * 20),
    windKmh: round1(5 + random() * 25),
    gustKmh: null,
    directionDeg: Math.floor(random() * 360),
    wmo: CODES[Math.floor(random() * CODES.length)]!,
    uvIndex: Math.floor(random() * 8),
  }
  base.gustKmh = round1(base.windKmh * 1.6)
  if (same(p, SITES.calm)) return { ...base, windKmh: 0, gustKmh: null, directionDeg: null, wmo: 0 }
  if (same(p, SITES.clear)) return { ...base, visibilityKm: 'unlimited', humidity: 12, wmo: 0 }
  if (same(p, SITES.gale)) return { ...base, windKmh: 72.4, gustKmh: 109.4, directionDeg: 247, wmo: 63 }
  return base
}

/** The local calendar date at the point, `days` after today. */
export function localDate(p: Point, atMs: number, days = 0): string {
  return new Date(atMs + utcOffsetSeconds(p) * 1000 + days * 86_400_000).toISOString().slice(0, 10)
}

/** The local hour (0–23) at the point. */
export function localHour(p: Point, atMs: number): number {
  return new Date(atMs + utcOffsetSeconds(p) * 1000).getUTCHours()
}

export function forecast(p: Point, atMs: number, days: number): Day[] {
  return Array.from({ length: days }, (_, i) => {
    const date = localDate(p, atMs, i)
    const random = prng(seedOf(p, Number(date.replace(/-/g, ''))))
    const calendarMaxC = round1(24 - Math.abs(p.latitude) * 0.4 + random() * 8)
    const calendarMinC = round1(calendarMaxC - 6 - random() * 8)
    return {
      date,
      calendarMaxC,
      calendarMinC,
      // The day part's high is never above the calendar day's, and usually below it.
      daytimeMaxC: round1(calendarMaxC - random() * 2),
      nightMinC: round1(calendarMinC + random() * 2),
      wmo: CODES[Math.floor(random() * CODES.length)]!,
      precipChanceDay: Math.floor(random() * 100),
      precipChanceNight: Math.floor(random() * 100),
    }
  })
}
