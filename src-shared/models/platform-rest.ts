/**
 * Where a platform profile's REST API is (docs/wire/dm-packages.md §4 "REST"): `https://<org>.internetofthings.
 * ibmcloud.com/api/v0002`, the org being the one of the application client id `a:<org>:<appId>`, unless the profile
 * names another base. Shared so the profile form can show the derived address the core will use.
 */
import { checkClientId } from './transport-rules'

export function derivedRestUrl(clientId: string): string | null {
  const check = checkClientId(clientId.trim())
  return check.ok && check.parts.org !== '' ? `https://${check.parts.org}.internetofthings.ibmcloud.com/api/v0002` : null
}

/** The profile's own base when it has one, else the derived one; null when neither can be had. */
export function platformRestUrl(settings: { clientId: string; restUrl?: string }): string | null {
  const own = settings.restUrl?.trim() ?? ''
  return own !== '' ? own : derivedRestUrl(settings.clientId)
}
