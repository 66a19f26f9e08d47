import type { Result } from '../../../../src-shared/contract'
import type { PackageDetail as Detail } from '../../../../src-shared/models/packages'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

/** One package of the library, whole (its actions and text), kept current while a view shows it (dispose() after). */
export class PackageDetail extends EventStore<Detail> {
  readonly bundleId: string

  constructor(bundleId: string) {
    super(api, { refreshOn: [{ event: 'packages:changed' }], live: 'always' })
    this.bundleId = bundleId
  }

  protected fetch(): Promise<Result<Detail>> {
    return api.invoke('packages:get', { bundleId: this.bundleId })
  }
}
