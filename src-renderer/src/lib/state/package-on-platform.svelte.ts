import type { Output, Result } from '../../../../src-shared/contract'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

type Status = Output<'packages:platformStatus'>

/**
 * Whether the platform holds one kept package as it is (docs/wire/dm-packages.md §4 "REST"), through the chosen
 * platform profile (the default when empty); read again when the package changes here, and after every upload or
 * removal made through this store (the platform sends no events).
 */
export class PackageOnPlatform extends EventStore<Status> {
  readonly bundleId: string
  /** The platform profile; '' for the default. */
  profile = $state('')
  busy = $state(false)

  constructor(bundleId: string) {
    super(api, { refreshOn: [{ event: 'packages:changed' }], live: 'always' })
    this.bundleId = bundleId
  }

  protected fetch(): Promise<Result<Status>> {
    return api.invoke('packages:platformStatus', { bundleId: this.bundleId, ...this.#via() })
  }

  #via(): { platformProfile?: string } {
    return this.profile ? { platformProfile: this.profile } : {}
  }

  /** Uploads the package; `replace` confirms replacing another package the platform holds under its id. */
  async upload(replace: boolean): Promise<Result<Output<'packages:upload'>>> {
    return this.#change(() => api.invoke('packages:upload', { bundleId: this.bundleId, replace, ...this.#via() }))
  }

  /** Removes the package from the platform; the library keeps it. */
  async unpublish(): Promise<Result<Output<'packages:unpublish'>>> {
    return this.#change(() => api.invoke('packages:unpublish', { bundleId: this.bundleId, ...this.#via() }))
  }

  async #change<R>(call: () => Promise<Result<R>>): Promise<Result<R>> {
    this.busy = true
    try {
      return await call()
    } finally {
      this.busy = false
      void this.load()
    }
  }
}
