import type { Result } from '../../../../src-shared/contract'
import type { PackageDetail, PackageSummary } from '../../../../src-shared/models/packages'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

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

  protected async fetch(): Promise<Result<PackageSummary[]>> {
    const result = await api.invoke('packages:list', {})
    return result.ok ? { ok: true, value: result.value.items } : result
  }

  get(bundleId: string): Promise<Result<PackageDetail>> {
    return api.invoke('packages:get', { bundleId })
  }

  /** The kept package, or the refusal: CONFLICT (dm.exists) unless `replace`, VALIDATION with diagnostics. */
  async add(text: string, replace: boolean): Promise<Result<PackageSummary>> {
    const result = await api.invoke('packages:add', { text, replace })
    void this.load()
    return result
  }

  async remove(bundleId: string): Promise<Result<unknown>> {
    const result = await api.invoke('packages:remove', { bundleId })
    void this.load()
    return result
  }
}

export const packages = new PackagesState()
