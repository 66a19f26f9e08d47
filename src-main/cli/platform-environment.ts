import type { PlatformSource } from '../core/dm-packages/package-publishing.service'
import type { PlatformLink, PlatformLinkOptions } from '../core/platform/link'
import { readCaVariable } from './file-variables'
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
 * client ID's org. What is missing is refused by the service, by the rules a profile meets. FIELDLINE_MQTT_CA_FILE is
 * its private CA, as a profile's one CA field serves both its broker and its REST API.
 */
export function platformRestSource(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): PlatformSource {
  if (!platformFromEnvironment(profile, env, ['FIELDLINE_PLATFORM_REST_URL'])) return profile
  const ca = platformCa(env)
  return {
    environment: {
      clientId: env.FIELDLINE_MQTT_CLIENT_ID ?? '',
      restUrl: env.FIELDLINE_PLATFORM_REST_URL ?? '',
      apiKey: env.FIELDLINE_MQTT_USERNAME ?? '',
      token: env.FIELDLINE_MQTT_PASSWORD ?? '',
      ...(ca ? { ca } : {}),
    },
  }
}

/**
 * For scripts: a platform link from FIELDLINE_MQTT_URL, _CLIENT_ID, _USERNAME and _PASSWORD instead of a saved profile,
 * trusting the private CA of FIELDLINE_MQTT_CA_FILE.
 */
export function mqttEnvironment(env: NodeJS.ProcessEnv = process.env): Pick<PlatformLinkOptions, 'url' | 'clientId' | 'username' | 'password' | 'ca'> {
  if (!env.FIELDLINE_MQTT_CLIENT_ID) throw new CliError('fieldline: set FIELDLINE_MQTT_CLIENT_ID (a:<org>:<appId>) with FIELDLINE_MQTT_URL', EXIT.usage)
  const ca = platformCa(env)
  return {
    url: env.FIELDLINE_MQTT_URL ?? '',
    clientId: env.FIELDLINE_MQTT_CLIENT_ID,
    ...(env.FIELDLINE_MQTT_USERNAME ? { username: env.FIELDLINE_MQTT_USERNAME } : {}),
    ...(env.FIELDLINE_MQTT_PASSWORD ? { password: env.FIELDLINE_MQTT_PASSWORD } : {}),
    ...(ca ? { ca } : {}),
  }
}

/** The platform's private CA from FIELDLINE_MQTT_CA_FILE; a file that cannot be read or is not PEM exits 2 saying so. */
function platformCa(env: NodeJS.ProcessEnv): string[] | undefined {
  try {
    return readCaVariable(env, 'FIELDLINE_MQTT_CA_FILE')
  } catch (e) {
    throw new CliError(`fieldline: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage)
  }
}

/**
 * The link for those settings, with the warning an unencrypted link to another computer deserves. The MQTT client is
 * loaded here, by the command that opens the link.
 */
export async function environmentLink(rt: Runtime, settings: ReturnType<typeof mqttEnvironment>): Promise<PlatformLink> {
  const { createPlatformLink } = await import('../core/platform/link')
  const link = createPlatformLink({ ...settings, logger: rt.core.logger })
  if (link.insecure) rt.err('fieldline: warning: the MQTT link is not encrypted and leaves this computer')
  return link
}
