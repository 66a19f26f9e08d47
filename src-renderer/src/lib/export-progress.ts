import type { Translate } from '../i18n'

/**
 * What an export's progress says: that it is starting while the core has not yet counted the rows (a screen reader
 * read "0 of 0 rows written" as its first announcement), then the rows written of the total.
 */
export function exportProgressText(t: Translate, rows: number, total: number | null): string {
  return total === null ? t('devices.export.starting') : t('devices.export.running', { values: { rows, total } })
}
