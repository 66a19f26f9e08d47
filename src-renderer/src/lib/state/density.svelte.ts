/** How tightly the device list packs its rows, kept for this computer in local storage (a preference of the screen, not of the workspace). */
export const DENSITIES = ['compact', 'comfortable'] as const
export type Density = (typeof DENSITIES)[number]

export const ROW_HEIGHTS: Readonly<Record<Density, number>> = { compact: 28, comfortable: 40 }

const KEY = 'fieldline.devices.density'

function stored(storage: Pick<Storage, 'getItem'> | undefined): Density {
  const value = storage?.getItem(KEY)
  return (DENSITIES as readonly (string | null | undefined)[]).includes(value) ? (value as Density) : 'comfortable'
}

export class DensityChoice {
  value = $state<Density>('comfortable')

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | undefined) {
    this.value = stored(storage)
  }

  get rowHeight(): number {
    return ROW_HEIGHTS[this.value]
  }

  set(value: Density): void {
    this.value = value
    // A browser that refuses storage (private mode, quota) still switches; the choice only lasts the session.
    try {
      this.storage?.setItem(KEY, value)
    } catch {
      return
    }
  }
}

export const density = new DensityChoice(typeof localStorage === 'undefined' ? undefined : localStorage)
