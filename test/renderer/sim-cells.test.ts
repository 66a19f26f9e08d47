import { get } from 'svelte/store'
import { format } from 'svelte-i18n'
import { describe, expect, it } from 'vitest'
import type { SimRow } from '../../src-shared/models/sim-inventory'
import { accountName, asOfText, simCell } from '../../src-renderer/src/features/sims/sim-cells'
import type { Translate } from '../../src-renderer/src/i18n'
import { accountNames } from '../../src-renderer/src/lib/account-names'
import '../../src-renderer/src/i18n'

const t: Translate = (key, options) => get(format)(key, options)

function row(asOf: string): SimRow {
  return {
    carrier: 'jasper',
    simId: '89011703278100000001',
    iccid: null,
    account: 'jasper:ops',
    status: 'activated',
    statusRaw: 'ACTIVATED',
    ratePlan: 'Plan A',
    communicationPlan: null,
    dataBytes: null,
    smsCount: null,
    lastSessionAt: null,
    asOf,
    usageAsOf: null,
    devices: [],
  } as SimRow
}

describe("the SIMs list's “as of” column", () => {
  // Noon UTC: the same day in every time zone the tests run in.
  const thisYear = new Date().getFullYear()

  it('fits its column at 1280 px: the time to the minute without the year within this year, the date alone before it', () => {
    // Cold trial: “6 déc. 2026, 07:…” — the time, the one thing an offline view is read for, was what the column cut.
    expect(simCell(t, 'fr', row(`${thisYear}-12-04T12:00:00.000Z`), 'asOf')).toMatch(/^4 déc\., \d{1,2}:\d{2}$/)
    expect(simCell(t, 'en', row(`${thisYear}-12-04T12:00:00.000Z`), 'asOf')).toMatch(/^Dec 4, \d{1,2}:\d{2}\s[AP]M$/)
    expect(simCell(t, 'fr', row(`${thisYear - 1}-12-01T12:00:00.000Z`), 'asOf')).toBe(`1er déc. ${thisYear - 1}`)
  })

  it('keeps the whole date and time, seconds included, for the title', () => {
    expect(asOfText(t, 'fr', row(`${thisYear}-12-04T12:00:00.000Z`))).toMatch(new RegExp(`4 déc\\. ${thisYear}, \\d{2}:\\d{2}:\\d{2}`))
  })

  it('names an account by its profile’s name, not by the id made from the name it first had', () => {
    // Cold trial: a profile created as “Jasper prod” and renamed “Jasper Nord” was “Jasper · jasper-prod-e996” here.
    const names = new Map([['jasper:jasper-prod-e996', 'Jasper Nord']])
    expect(accountName(t, 'jasper:jasper-prod-e996', names)).toBe('Jasper · Jasper Nord')
    expect(simCell(t, 'fr', { ...row('2026-12-04T12:00:00.000Z'), account: 'jasper:jasper-prod-e996' }, 'account', names)).toBe('Jasper · Jasper Nord')
    // A profile this window does not hold (deleted since) is still told by its id.
    expect(accountName(t, 'orange:gone-1', names)).toBe('Orange · gone-1')
  })

  it('tells apart profiles of one carrier that share a name by their ids, and only those', () => {
    const names = accountNames([
      { extension: 'jasper', id: 'nord-1', name: 'Nord' },
      { extension: 'jasper', id: 'nord-2', name: 'Nord' },
      { extension: 'atnt', id: 'nord-3', name: 'Nord' },
      { extension: 'orange', id: 'paris-1', name: 'Paris' },
    ])
    expect([...names.values()]).toEqual(['Nord (nord-1)', 'Nord (nord-2)', 'Nord', 'Paris'])
    expect(accountName(t, 'jasper:nord-2', names)).toBe('Jasper · Nord (nord-2)')
  })
})
