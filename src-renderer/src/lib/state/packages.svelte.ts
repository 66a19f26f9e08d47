import type { Output, Result } from '../../../../src-shared/contract'
import type { PackageDetail, PackageSummary } from '../../../../src-shared/models/packages'
import { api } from '../api'
import { EventStore, itemsOf } from './event-store.svelte'

/**
 * The library of custom device-management packages, as the core keeps it (validated, never invalid). Read only
 * while a view shows it (the Extensions card, the Packages page, a device's page), and again on `packages:changed` —
 * from this window, another one, or the CLI through serve mode.
 */
class PackagesState extends EventStore<PackageSummary[]> {
  constructor() {
    super(api, { refreshOn: [{ event: 'packages:changed' }], live: 'whileActive' })
  }

  get items(): PackageSummary[] {
    return this.value ?? []
  }

  protected fetch(): Promise<Result<PackageSummary[]>> {
    return itemsOf(api.invoke('packages:list', {}))
  }

  get(bundleId: string): Promise<Result<PackageDetail>> {
    return api.invoke('packages:get', { bundleId })
  }

  /** The kept package, or the refusal: CONFLICT (dm.exists) unless `replace`, VALIDATION with diagnostics. */
  add(text: string, replace: boolean): Promise<Result<PackageSummary>> {
    return this.write(api.invoke('packages:add', { text, replace }))
  }

  remove(bundleId: string): Promise<Result<Output<'packages:remove'>>> {
    return this.write(api.invoke('packages:remove', { bundleId }))
  }
}

export const packages = new PackagesState()
