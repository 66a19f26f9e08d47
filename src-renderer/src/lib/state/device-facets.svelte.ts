import type { Output, Result } from '../../../../src-shared/contract'
import type { FacetField } from '../../../../src-shared/models/device-query'
import { api } from '../api'
import { EventStore } from './event-store.svelte'

export const FILTER_FACETS: readonly FacetField[] = ['typeId', 'carrier', 'simStatus', 'extension', 'configErrors', 'dmSupport', 'weather']

export type FacetValues = { value: string; count: number }[]

/** How the whole fleet divides by each filter field: the choices of the list's filters, with their counts. */
export class DeviceFacets extends EventStore<Output<'devices:count'>> {
  constructor() {
    // An import changes counts thousands of times a second: they are read again once it settles.
    super(api, { live: 'whileActive', refreshOn: [{ event: 'devices:changed' }], settleMs: 1000 })
  }

  protected fetch(): Promise<Result<Output<'devices:count'>>> {
    return api.invoke('devices:count', { selection: { query: { text: '', filters: {}, sort: 'typeId', descending: false }, except: [] }, by: [...FILTER_FACETS] })
  }

  values(field: FacetField): FacetValues {
    return this.value?.facets.find((f) => f.field === field)?.values ?? []
  }
}

export const deviceFacets = new DeviceFacets()
