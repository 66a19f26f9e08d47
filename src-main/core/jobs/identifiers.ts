/**
 * Identifier checks of a job's rows (docs/wire/control-center.md §1.13): what an operator's spreadsheet does to an
 * ICCID before it reaches Fieldline.
 */
import { luhnValid } from '../../../src-shared/models/luhn'
import type { PreflightIssue } from '../../../src-shared/models/sim-jobs'
import { looksLikeMangledNumber } from '../devices/iccid'

const ICCID_MIN = 18
const ICCID_MAX = 22

/**
 * The ICCID a cell names, or null with the reason it names none. Spaces and dashes people type between digit groups
 * are dropped; a number a spreadsheet rewrote in scientific notation has lost its last digits and is refused.
 */
export function checkIccid(raw: string): { iccid: string | null; issues: PreflightIssue[] } {
  const checked = checkDigits(raw, ICCID_MIN, ICCID_MAX)
  if (!checked.iccid) return checked
  return { iccid: checked.iccid, issues: luhnValid(checked.iccid) ? [] : [{ code: 'luhn', severity: 'warning' }] }
}

/** The digits a cell names when it is a number of `min` to `max` digits (an ICCID, an Orange serial), else why not. */
export function checkDigits(raw: string, min: number, max: number): { iccid: string | null; issues: PreflightIssue[] } {
  const text = raw.trim()
  if (text === '') return { iccid: null, issues: [{ code: 'empty', severity: 'error' }] }
  if (looksLikeMangledNumber(text)) return { iccid: null, issues: [{ code: 'mangled', severity: 'error', detail: text }] }
  const digits = text.replace(/[\s-]/g, '')
  if (!/^\d+$/.test(digits)) return { iccid: null, issues: [{ code: 'notDigits', severity: 'error' }] }
  if (digits.length < min || digits.length > max) return { iccid: null, issues: [{ code: 'length', severity: 'error', detail: String(digits.length) }] }
  return { iccid: digits, issues: [] }
}
