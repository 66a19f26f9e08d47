/**
 * An import's counts as the CLI says them, at the end of `devices import` and in the warning about an import the
 * process did not live to end: the devices already there apart from the refused rows.
 */
import { describe, expect, it } from 'vitest'
import { importCountsText } from '../../src-shared/models/import-counts'

describe('import counts in the CLI’s words', () => {
  it('says the devices already there apart from the refused rows (`failed` holds both)', () => {
    expect(importCountsText({ rows: 1502, added: 1, failed: 1501, existing: 1500 })).toBe('1 added, 1,500 already there, 1 refused, 1,502 rows read')
  })

  it('says the rows an earlier build recorded as not added as one number, for their split is not known', () => {
    expect(importCountsText({ rows: 12, added: 5, failed: 7 })).toBe('5 added, 7 refused or already there, 12 rows read')
  })

  it('says one row as one row (cold trial: "1 rows read")', () => {
    expect(importCountsText({ rows: 1, added: 0, failed: 1, existing: 0 })).toBe('0 added, 0 already there, 1 refused, 1 row read')
    expect(importCountsText({ rows: 1, added: 1, failed: 0 })).toBe('1 added, 0 refused or already there, 1 row read')
  })
})
