import type { Command } from 'commander'
import type { EventPayload } from '../../../src-shared/contract'
import { parseDecimal } from '../../../src-shared/models/location'
import { outsideRange, type LocationField } from '../../core/devices/location-cells'
import type { PlatformLink } from '../../core/platform/link'
import { environmentLink, mqttEnvironment, platformFromEnvironment } from '../platform-environment'
import { CliError, EXIT, type WithRuntime } from '../runtime'
import { instantOption } from '../instant-option'
import { signals } from '../stop-signals'

interface LocateOptions {
  lat?: string
  lon?: string
  elevation?: string
  accuracy?: string
  measuredAt?: string
  clear?: boolean
}

/**
 * A number from the command line, in plain decimals (a comma or an exponent is refused, not misread), within the
 * field's range: out of it, the option is named with its range, as an import row's cell is, rather than the core's
 * "Invalid input for devices:setLocation: latitude: Too big: expected number to be <=90".
 */
function decimal(option: string, field: LocationField, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = parseDecimal(value)
  if (n === null) throw new CliError(`fieldline: --${option} must be a number in decimals (e.g. 45.1885), not ${JSON.stringify(value.slice(0, 40))}`, EXIT.usage)
  const range = outsideRange(field, n)
  if (range) throw new CliError(`fieldline: --${option} ${value} is outside ${range}`, EXIT.usage)
  return n
}

export function registerDevicesLocation(devices: Command, withRuntime: WithRuntime): void {
  devices
    .command('locate <typeId> <deviceId>')
    .description("set a device's location (WGS84 decimal degrees; recorded in the audit trail), or --clear it")
    .option('--lat <degrees>', 'latitude, -90 to 90')
    .option('--lon <degrees>', 'longitude, -180 to 180')
    .option('--elevation <metres>', 'elevation above sea level')
    .option('--accuracy <metres>', 'how far off the position may be')
    .option('--measured-at <iso>', 'when it was measured (ISO 8601 date and time with a time zone, e.g. 2026-01-31T08:00:00Z)')
    .option('--clear', 'forget the location')
    .action(
      withRuntime(async (rt, typeId: string, deviceId: string, opts: LocateOptions) => {
        if (opts.clear) {
          if (opts.lat !== undefined || opts.lon !== undefined) throw new CliError('fieldline: --clear takes no position', EXIT.usage)
          const { cleared } = await rt.call('devices:clearLocation', { typeId, deviceId })
          rt.out(rt.json ? JSON.stringify({ cleared }) : cleared ? `cleared the location of ${typeId}/${deviceId}` : `${typeId}/${deviceId} had no location`)
          return
        }
        const latitude = decimal('lat', 'latitude', opts.lat)
        const longitude = decimal('lon', 'longitude', opts.lon)
        if (latitude === undefined || longitude === undefined) throw new CliError('fieldline: give both --lat and --lon (or --clear)', EXIT.usage)
        const elevation = decimal('elevation', 'elevation', opts.elevation)
        const accuracy = decimal('accuracy', 'accuracy', opts.accuracy)
        const measuredAt = opts.measuredAt === undefined ? undefined : instantOption('--measured-at', opts.measuredAt).text
        const device = await rt.call('devices:setLocation', {
          typeId,
          deviceId,
          latitude,
          longitude,
          ...(elevation !== undefined ? { elevation } : {}),
          ...(accuracy !== undefined ? { accuracy } : {}),
          ...(measuredAt !== undefined ? { measuredAt } : {}),
        })
        rt.out(rt.json ? JSON.stringify(device.location) : `${typeId}/${deviceId} is at ${latitude}, ${longitude}`)
      }),
    )

  devices
    .command('follow-locations')
    .description('store the locations managed devices report through a gateway, until SIGTERM/SIGINT (platform link: --profile, or FIELDLINE_MQTT_*)')
    .option('--profile <id>', 'a saved platform (MQTT) profile; without it, the default one, or FIELDLINE_MQTT_* variables when FIELDLINE_MQTT_URL is set')
    .action(
      withRuntime(async (rt, opts: { profile?: string }) => {
        const stop = rt.core.bus.subscribe((event, payload) => {
          if (event === 'platform:state') {
            const p = payload as EventPayload<'platform:state'>
            rt.err(`platform link ${p.profileId}: ${p.state}${p.reason ? ` (${p.reason.message})` : ''}`)
          }
          if (event === 'devices:location')
            for (const i of (payload as EventPayload<'devices:location'>).items) rt.out(rt.json ? JSON.stringify(i) : `${i.typeId}/${i.deviceId} location from the ${i.source}`)
        })
        let own: PlatformLink | undefined
        try {
          if (platformFromEnvironment(opts.profile)) {
            own = await environmentLink(rt, mqttEnvironment())
            own.on('state', (e) => rt.err(`platform link: ${e.state}${e.reason ? ` (${e.reason.message})` : ''}`))
            rt.core.locationIntake.attach('environment', own)
            void own.connect().catch(() => undefined)
          } else {
            await rt.call('devices:followLocations', opts.profile ? { platformProfile: opts.profile } : {})
          }
          await signals()
          await rt.core.locationIntake.settled()
        } finally {
          stop()
          await own?.close()
        }
      }),
    )
}
