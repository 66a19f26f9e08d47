/**
 * The format of a list export from its file name, shared by the app's download and the CLI's export (cold trial:
 * `devices export out.xlsx` wrote CSV into a file Excel refused to open).
 */
import { describe, expect, it } from 'vitest'
import { exportFormatOf } from '../../src-main/cli/export-progress'
import { exportFileName, exportFileStart, exportFormatFor } from '../../src-shared/models/export-format'

describe('an export’s format and its file name', () => {
  it('takes the format from the extension, whatever its case, and --format (else CSV) for a name without one', () => {
    expect(['out.csv', 'dir.v2/OUT.CSV', 'out.jsonl', 'out.ndjson', 'C:\\exports\\out.NDJSON'].map((f) => exportFormatFor(f))).toEqual([
      { ok: true, format: 'csv' },
      { ok: true, format: 'csv' },
      { ok: true, format: 'jsonl' },
      { ok: true, format: 'jsonl' },
      { ok: true, format: 'jsonl' },
    ])
    expect([exportFormatFor('out'), exportFormatFor('out', 'jsonl'), exportFormatFor('dir.d/.hidden', 'jsonl'), exportFormatFor('out.csv', 'csv')]).toEqual([
      { ok: true, format: 'csv' },
      { ok: true, format: 'jsonl' },
      { ok: true, format: 'jsonl' },
      { ok: true, format: 'csv' },
    ])
  })

  it('refuses an extension of another format, and a --format the extension contradicts', () => {
    expect(exportFormatFor('out.xlsx')).toEqual({ ok: false, problem: 'extension', extension: '.xlsx' })
    expect(exportFormatFor('out.json', 'jsonl')).toEqual({ ok: false, problem: 'extension', extension: '.json' })
    expect(exportFormatFor('out.jsonl', 'csv')).toEqual({ ok: false, problem: 'contradiction', extension: '.jsonl', format: 'jsonl', given: 'csv' })
  })

  it('names the app’s download with the extension the CLI reads back as its format', () => {
    for (const format of ['csv', 'jsonl'] as const) expect(exportFormatFor(exportFileName('devices-20261205-0130', format))).toEqual({ ok: true, format })
    expect(exportFileName('sims-20261205-0130', 'jsonl')).toBe('sims-20261205-0130.jsonl')
  })

  it('says on the command line what an export can be written as, and how to mend the command', () => {
    expect(() => exportFormatOf('out.xlsx', undefined)).toThrow(
      'fieldline: cannot write out.xlsx: an export is CSV (.csv) or JSON Lines (.jsonl, .ndjson), not .xlsx; give the file one of those extensions (a spreadsheet opens .csv)',
    )
    expect(() => exportFormatOf('out.jsonl', 'csv')).toThrow('fieldline: --format csv contradicts out.jsonl, a JSON Lines file by its name: leave out --format, or name the file .csv')
    expect(() => exportFormatOf('out.csv', 'xml')).toThrow('fieldline: --format must be csv or jsonl')
    expect(exportFormatOf('out.ndjson', 'jsonl')).toBe('jsonl')
  })

  it('starts a CSV file with UTF-8’s byte-order mark unless left out, and JSON Lines with nothing', () => {
    expect([exportFileStart('csv'), exportFileStart('csv', false), exportFileStart('jsonl'), exportFileStart('jsonl', false)]).toEqual(['\uFEFF', '', '', ''])
  })
})
