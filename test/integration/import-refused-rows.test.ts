import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'csv-parse/sync'
import type { ImportReport } from '../../src-shared/contract'
import { REFUSAL_COLUMN, refusedRowsCsv } from '../../src-shared/models/refused-rows-csv'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

async function importText(core: TestCore, fileName: string, text: string, chunk = 7): Promise<ImportReport> {
  const { jobId } = await core.call('import:start', { fileName })
  const content = Buffer.from(text)
  // Small chunks: a refused row's text must survive being cut anywhere on the way in.
  for (let i = 0; i < content.length; i += chunk) await core.call('import:chunk', { jobId, data: content.subarray(i, i + chunk).toString('base64') })
  return core.call('import:finish', { jobId })
}

const reason = (e: ImportReport['errors'][number]) => `Row ${e.row}: ${e.message}`

describe('the refused rows of an import, exported as CSV to fix and import again', () => {
  let core: TestCore
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    const t = await tempDir()
    cleanup = t.cleanup
    core = await testCore(t.dir)
  })
  afterEach(async () => {
    await core.close()
    await cleanup()
  })

  it('carries each refused CSV row as the file wrote it, and the header', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-0' })
    const file = [
      'Type ID,Device ID,Description,site',
      'meter,m-1,"North, feeder",A',
      'meter,bad id,refused,B',
      'meter,m-1,duplicate,C',
      'meter,m-0,exists already,D',
      'meter,m-2,"=HYPERLINK(""x"")",E',
      'meter,m-3,"stray "quote",F',
    ].join('\r\n')
    const report = await importText(core, 'devices.csv', `${file}\r\n`)
    expect(report).toMatchObject({ added: 2, failed: 4, columns: ['Type ID', 'Device ID', 'Description', 'site'] })
    expect(report.errors.map((e) => [e.row, e.cells])).toEqual([
      [3, ['meter', 'bad id', 'refused', 'B']],
      [4, ['meter', 'm-1', 'duplicate', 'C']],
      [5, ['meter', 'm-0', 'exists already', 'D']],
      // csv-parse gives a record it cannot read only up to where it stopped: its reason goes alone.
      [7, undefined],
    ])
  })

  it('writes them spreadsheet-safe with their reason first, and the fixed file imports without the reason becoming metadata', async () => {
    const file = ['typeId,deviceId,description', 'meter,bad id,"=1+2, evil"', 'meter,ok-1,fine'].join('\n')
    const report = await importText(core, 'devices.csv', file)
    expect(report).toMatchObject({ added: 1, failed: 1 })
    const csv = refusedRowsCsv(report, reason)
    expect(csv.split('\r\n')[0]).toBe(`${REFUSAL_COLUMN},typeId,deviceId,description`)
    // The formula is defused (a leading apostrophe), the comma kept inside its quoted cell.
    expect(csv).toContain(`,meter,bad id,"'=1+2, evil"\r\n`)
    const rows = parse(csv, { columns: true }) as Record<string, string>[]
    expect(rows).toEqual([{ [REFUSAL_COLUMN]: expect.stringMatching(/^Row 2: /), typeId: 'meter', deviceId: 'bad id', description: "'=1+2, evil" }])

    // The operator fixes the id and imports the export as it is.
    const fixed = csv.replace(',meter,bad id,', ',meter,fixed-1,')
    const again = await importText(core, 'devices-refused.csv', fixed)
    expect(again.errors).toEqual([])
    expect(again).toMatchObject({ added: 1, failed: 0 })
    const device = await core.call('devices:get', { typeId: 'meter', deviceId: 'fixed-1' })
    expect(device.metadata).toEqual({})
  })

  it('writes a JSON line as one cell, and leaves out a row too long to copy', async () => {
    const long = `{"typeId":"j","deviceId":"bad id","description":"${'x'.repeat(9000)}"}`
    const report = await importText(core, 'devices.jsonl', `{"typeId":"j","deviceId":"bad id"}\n${long}\nnot json\n`, 4096)
    expect(report.columns).toBeUndefined()
    expect(report.errors.map((e) => [e.row, e.cells])).toEqual([
      [1, ['{"typeId":"j","deviceId":"bad id"}']],
      [2, undefined],
      [3, ['not json']],
    ])
    const csv = refusedRowsCsv(report, reason)
    expect(csv.split('\r\n')[0]).toBe(`${REFUSAL_COLUMN},line`)
    const rows = parse(csv, { relax_column_count: true }) as string[][]
    expect(rows.slice(1).map((r) => r.slice(1))).toEqual([['{"typeId":"j","deviceId":"bad id"}'], [], ['not json']])
    expect(rows.slice(1).map((r) => r[0]!.slice(0, 6))).toEqual(['Row 1:', 'Row 2:', 'Row 3:'])
  })
})
