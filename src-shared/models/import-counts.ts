import type { ImportReport } from '../contract'

/**
 * The rows an import refused for a reason of their own: its `failed` count holds too the rows whose device was there
 * already, which are not refusals (an import run again after an interruption names them all) and are said apart.
 */
export const refusedRows = (counts: Pick<ImportReport, 'failed' | 'existing'>): number => counts.failed - counts.existing
