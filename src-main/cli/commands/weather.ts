import type { Command } from 'commander'
import { TWC_UNIT_CODES, WEATHER_UNITS, type Quantity, type WeatherUnits, type WeatherView } from '../../../src-shared/models/weather'
import { CliError, EXIT, type WithRuntime } from '../runtime'

const UNIT_LETTERS = Object.fromEntries(WEATHER_UNITS.map((u) => [TWC_UNIT_CODES[u], u])) as Record<string, WeatherUnits>

function q(v: Quantity): string {
  return v.value === null ? '—' : `${v.value} ${v.unit}`
}

function lines(view: WeatherView): string[] {
  const r = view.reading
  const place = `${r.requested.latitude}, ${r.requested.longitude}${r.grid ? ` (grid ${r.grid.latitude}, ${r.grid.longitude}${r.grid.elevation === null ? '' : `, ${r.grid.elevation} m`})` : ''}`
  const wind = r.wind.speed.value === null ? '—' : `${q(r.wind.speed)}${r.wind.direction === null ? '' : ` from ${r.wind.direction}°`}${r.wind.cardinal ? ` (${r.wind.cardinal})` : ''}`
  return [
    `${view.typeId}/${view.deviceId} at ${place}`,
    `weather      ${r.phrase ?? '—'}`,
    `temperature  ${q(r.temperature)} (predicted max ${q(r.predictedMax)}, min ${q(r.predictedMin)})`,
    `humidity     ${q(r.relativeHumidity)}`,
    `pressure     ${q(r.pressure)}`,
    `visibility   ${r.visibility.unlimited ? 'unlimited' : q(r.visibility)}`,
    `wind         ${wind}${r.wind.gust.value === null ? '' : `, gusts ${q(r.wind.gust)}`}`,
    `as of        ${r.observedAt} (fetched ${r.fetchedAt}, valid until ${r.expiresAt})`,
    r.attribution.text,
  ]
}

export function registerWeather(program: Command, withRuntime: WithRuntime): void {
  program
    .command('weather <typeId> <deviceId>')
    .description("the weather at a device's location (saved settings, or FIELDLINE_WEATHER_PROVIDER, _URL, _API_KEY)")
    .option('--units <letter>', 'm metric, e imperial, h UK hybrid, s SI (default: the saved setting)')
    .option('--refresh', 'ask the provider even if the last reading has not expired')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, opts: { units?: string; refresh?: boolean }) => {
        const units = opts.units === undefined ? undefined : UNIT_LETTERS[opts.units]
        if (opts.units !== undefined && !units) throw new CliError('fieldline: --units must be m, e, h or s', EXIT.usage)
        const settings = await rt.call('weather:getSettings', {})
        const view = await rt.call('weather:get', { typeId, deviceId, refresh: opts.refresh === true, ...(units ? { units } : {}) })
        if (rt.json) return rt.out(JSON.stringify(view))
        for (const line of lines(view)) rt.out(line)
        if (view.offline) rt.err(`fieldline: the provider could not be asked (${view.offline.message}); this is the reading as of ${view.reading.observedAt}`)
        if (settings.notice) rt.err(settings.notice.message)
      }),
    )
}
