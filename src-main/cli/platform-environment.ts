import type { PlatformSource } from '../core/dm-packages/package-publishing.service'
import { createPlatformLink, type PlatformLink, type PlatformLinkOptions } from '../core/platform/link'
import { CliError, EXIT, type Runtime } from './runtime'

/**
 * Whether a platform command takes FIELDLINE_MQTT_* variables rather than a saved profile: --profile wins; without it,
 * the variables when FIELDLINE_MQTT_URL (or one of `also`) is set; otherwise the default profile.
 */
export function platformFromEnvironment(profile: string | undefined, env: NodeJS.ProcessEnv = process.env, also: readonly string[] = []): boolean {
  return !profile && ['FIELDLINE_MQTT_URL', ...also].some((name) => Boolean(env[name]))
}

/**
 * The platform's REST API for `dm upload | platform | unpublish`: --profile or the default profile, or for scripts the
 * same variables as its MQTT link (a profile's user name and password are the API key and its token) with
 * FIELDLINE_PLATFORM_REST_URL, which, as a profile's REST API URL, may stand in for the address derived from the
 * client ID's org. What is missing is refused by the service, by the rules a profile meets.
 */
export function platformRestSource(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): PlatformSource {
  if (!platformFromEnvironment(profile, env, ['FIELDLINE_PLATFORM_REST_URL'])) return profile
  return {
    environment: {
      clientId: env.FIELDLINE_MQTT_CLIENT_ID ?? '',
      restUrl: env.FIELDLINE_PLATFORM_REST_URL ?? '',
      apiKey: env.FIELDLINE_MQTT_USERNAME ?? '',
      token: env.FIELDLINE_MQTT_PASSWORD ?? '',
    },
  }
}

/** For scripts: a platform link from FIELDLINE_MQTT_URL, _CLIENT_ID, _USERNAME and _PASSWORD instead of a saved profile. */
export function mqttEnvironment(env: NodeJS.ProcessEnv = process.env): Pick<PlatformLinkOptions, 'url' | 'clientId' | 'username' | 'password'> {
  if (!env.FIELDLINE_MQTT_CLIENT_ID) throw new CliError('fieldline: set FIELDLINE_MQTT_CLIENT_ID (a:<org>:<appId>) with FIELDLINE_MQTT_URL', EXIT.usage)
  return {
    url: env.FIELDLINE_MQTT_URL ?? '',
    clientId: env.FIELDLINE_MQTT_CLIENT_ID,
    ...(env.FIELDLINE_MQTT_USERNAME ? { username: env.FIELDLINE_MQTT_USERNAME } : {}),
    ...(env.FIELDLINE_MQTT_PASSWORD ? { password: env.FIELDLINE_MQTT_PASSWORD } : {}),
  }
}

/** The link for those settings, with the warning an unencrypted link to another computer deserves. */
export function environmentLink(rt: Runtime, settings: ReturnType<typeof mqttEnvironment>): PlatformLink {
  const link = createPlatformLink({ ...settings, logger: rt.core.logger })
  if (link.insecure) rt.err('fieldline: warning: the MQTT link is not encrypted and leaves this computer')
  return link
}
