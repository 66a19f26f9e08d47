import type { Result } from '../../../../src-shared/contract'
import { api } from '../api'

/**
 * Which platform links this window turned on to store the locations managed devices report. The core follows a link
 * for as long as the link lives and has no channel that says so, so what is known here is what this window asked
 * for: when the link closes (its profile was saved or removed, or Fieldline stopped), following ends with it.
 */
export class LocationFollowing {
  /** Per profile id: when following was turned on (epoch milliseconds). */
  since = $state.raw<Readonly<Record<string, number>>>({})
  /** Per profile id: a request on its way. */
  busy = $state.raw<Readonly<Record<string, boolean>>>({})

  constructor() {
    api.on('platform:state', (e) => {
      if (e.state !== 'stopped' || !(e.profileId in this.since)) return
      const { [e.profileId]: _ended, ...rest } = this.since
      this.since = rest
    })
  }

  /** Turns following on for the profile's link (audited by the core); the link opens if it was not open. */
  async follow(profileId: string): Promise<Result<{ profileId: string }>> {
    this.busy = { ...this.busy, [profileId]: true }
    const result = await api.invoke('devices:followLocations', { platformProfile: profileId })
    this.busy = { ...this.busy, [profileId]: false }
    if (result.ok) this.since = { ...this.since, [result.value.profileId]: Date.now() }
    return result
  }
}

export const locationFollowing = new LocationFollowing()
