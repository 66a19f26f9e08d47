/** How each column of the SIM list reads: its heading, its cells as text. Pure, shared by the list and its tests. */
import { SIM_NOT_LISTED, type SimRow } from '../../../../src-shared/models/sim-inventory'
import type { Translate } from '../../i18n'
import { formatBytes, formatDateTime, formatDateTimeCompact } from '../../lib/format'
import { carrierName, simStatusName } from '../devices/device-cells'

export const SIM_COLUMNS = ['simId', 'carrier', 'account', 'status', 'ratePlan', 'dataBytes', 'asOf', 'devices'] as const
export type SimColumn = (typeof SIM_COLUMNS)[number]

/** Grid widths, in the order of SIM_COLUMNS after the selection box. */
export const SIM_GRID = '2rem minmax(10rem, 1.3fr) minmax(4.5rem, 0.5fr) minmax(7rem, 1fr) minmax(7rem, 0.9fr) minmax(6rem, 1fr) minmax(5.5rem, 0.6fr) minmax(8.5rem, 1fr) minmax(6rem, 1.2fr)'

export function simColumnLabel(t: Translate, column: SimColumn): string {
  return t(`sims.columns.${column}`)
}

export function inventoryStatusName(t: Translate, status: string): string {
  return status === SIM_NOT_LISTED ? t('sims.notListed') : simStatusName(t, status)
}

/**
 * An account (`jasper:<profile id>`) as the operator reads it: the carrier's name and the profile's, from `names`
 * (carrierAccountNames); the id only for a profile this window does not hold (deleted since, or not loaded yet). The id
 * is made from the name the profile first had, with a random end (jasper-prod-e996), so it is not what the operator
 * called it, and a rename leaves it behind.
 */
export function accountName(t: Translate, account: string, names?: ReadonlyMap<string, string>): string {
  const colon = account.indexOf(':')
  return `${carrierName(t, account.slice(0, colon))} · ${names?.get(account) ?? account.slice(colon + 1)}`
}

/** A cell as the operator reads it, in the interface's language. */
export function simCell(t: Translate, locale: string | null | undefined, row: SimRow, column: SimColumn, names?: ReadonlyMap<string, string>): string {
  switch (column) {
    case 'carrier':
      return carrierName(t, row.carrier)
    case 'account':
      return row.account ? accountName(t, row.account, names) : ''
    case 'status':
      return inventoryStatusName(t, row.status)
    case 'dataBytes':
      return row.dataBytes === null ? '' : formatBytes(row.dataBytes, locale)
    case 'asOf':
      // The list's column holds the compact form; the cell's title (asOfText) says it whole.
      return row.asOf ? formatDateTimeCompact(row.asOf, locale) : t('sims.neverListed')
    case 'devices':
      return row.devices.length === 0 ? t('sims.onNoDevice') : row.devices.join(', ')
    case 'simId':
      return row.simId
    case 'ratePlan':
      return row.ratePlan ?? ''
  }
}

/** The "as of" of a row in words: when the carrier listed it, and when its usage was read. */
export function asOfText(t: Translate, locale: string | null | undefined, row: SimRow): string {
  const listed = row.asOf ? t('sims.asOf', { values: { date: formatDateTime(row.asOf, locale) } }) : t('sims.neverListed')
  return row.usageAsOf ? `${listed}; ${t('sims.usageAsOf', { values: { date: formatDateTime(row.usageAsOf, locale) } })}` : listed
}
