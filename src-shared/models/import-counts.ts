import type { ImportReport } from '../contract'
import { countOf, countText } from './count-text'

/**
 * The rows an import refused for a reason of their own: its `failed` count holds too the rows whose device was there
 * already, which are not refusals (an import run again after an interruption names them all) and are said apart.
 */
export const refusedRows = (counts: Pick<ImportReport, 'failed' | 'existing'>): number => counts.failed - counts.existing

/**
 * An import's counts as the CLI says them, at its end and in the warning about one the process did not live to end.
 * The record an earlier build wrote of an import cut short has no `existing` (its `failed` held both): its rows not
 * added are said as one number then, for their split is not known.
 */
export function importCountsText(counts: Pick<ImportReport, 'rows' | 'added' | 'failed'> & { existing?: number | undefined }): string {
  const { rows, added, failed, existing } = counts
  if (existing === undefined) return `${countText(added)} added, ${countText(failed)} refused or already there, ${countOf(rows, 'row')} read`
  return `${countText(added)} added, ${countText(existing)} already there, ${countText(refusedRows({ failed, existing }))} refused, ${countOf(rows, 'row')} read`
}
