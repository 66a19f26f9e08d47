import { createPlatformLink, type PlatformLink, type PlatformLinkOptions } from '../core/platform/link'
import { CliError, EXIT, type Runtime } from './runtime'

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
