import { describe, expect, it } from 'vitest'
import { checkIccid } from '../../src-main/core/jobs/identifiers'
import { luhnValid } from '../../src-shared/models/luhn'
import { parseJobCsv } from '../../src-main/core/jobs/job-csv'

describe('bulk job identifier checks', () => {
  it('reads an ICCID as its digits, and says what is wrong with one that is not', () => {
    expect(checkIccid(' 8988 2167-1697 0004 975 ')).toMatchObject({ iccid: '8988216716970004975' })
    expect(checkIccid('8.98822E+18').issues).toEqual([{ code: 'mangled', severity: 'error', detail: '8.98822E+18' }])
    expect(checkIccid('8,98822e18').issues.map((i) => i.code)).toEqual(['mangled'])
    expect(checkIccid('12345').issues).toEqual([{ code: 'length', severity: 'error', detail: '5' }])
    expect(checkIccid('8988216716970004975123456').issues.map((i) => i.code)).toEqual(['length'])
    expect(checkIccid('89882167169700O4975').issues.map((i) => i.code)).toEqual(['notDigits'])
    expect(checkIccid('  ').issues.map((i) => i.code)).toEqual(['empty'])
  })

  it('checks the Luhn digit as a warning only', () => {
    expect(luhnValid('79927398713')).toBe(true)
    expect(luhnValid('79927398710')).toBe(false)
    const body = '898821671697000497'
    const good = [...'0123456789'].map((d) => body + d).find(luhnValid)!
    expect(checkIccid(good).issues).toEqual([])
    const bad = body + String((Number(good.at(-1)) + 1) % 10)
    expect(checkIccid(bad)).toEqual({ iccid: bad, issues: [{ code: 'luhn', severity: 'warning' }] })
  })
})

describe('job CSV', () => {
  it('keeps cells as text, with per-row values and line numbers', () => {
    const rows = parseJobCsv('\uFEFFICCID,Status,Rate Plan\n8988216716970004975,ACTIVATED,\n\n"8.98822E+18",,Plan B\n')
    expect(rows).toEqual([
      { line: 2, id: '8988216716970004975', status: 'ACTIVATED' },
      { line: 4, id: '8.98822E+18', ratePlan: 'Plan B' },
    ])
    expect(parseJobCsv('8988216716970004975\n8988216716970004976')).toHaveLength(2)
  })

  it('refuses a file it cannot use, with a translatable reason', () => {
    expect(() => parseJobCsv('')).toThrow(expect.objectContaining({ details: expect.objectContaining({ ref: { key: 'jobs.csvEmpty' } }) }))
    expect(() => parseJobCsv('a,b\n1,2')).toThrow(expect.objectContaining({ details: expect.objectContaining({ ref: { key: 'jobs.csvNoHeader' } }) }))
    expect(() => parseJobCsv('iccid\n"unterminated')).toThrow(expect.objectContaining({ code: 'VALIDATION' }))
  })

  // Cold trial: `job create --from-csv` of a binary file printed csv-parse's English with the file's bytes in it
  // ('Invalid Opening Quote: … value is "��!W<…"'), and a huge line "Max Record Size: record exceed …".
  it.each([
    ['a binary file', 'iccid\n\u0001\u0002x"\u001a\u0000', 2, 'openingQuote', 'a quote in the middle of a field that does not start with one'],
    ['a quote never closed', 'iccid\n8988216716970004975\n"8988', 3, 'quoteNotClosed', 'a quote opens a field and the file ends before it is closed'],
    ['a line too long', `iccid\n${'8'.repeat(70_000)}`, 2, 'tooLong', 'it is longer than 65,536 characters (a quote left open?)'],
  ])('says where and why a CSV cannot be read, in its own words and never with its bytes: %s', (_name, text, line, problem, words) => {
    expect(() => parseJobCsv(text)).toThrow(
      expect.objectContaining({ message: `Line ${line} of the CSV cannot be read: ${words}`, details: { ref: { key: 'jobs.csvUnreadable', params: { line, problem } } } }),
    )
  })
})
