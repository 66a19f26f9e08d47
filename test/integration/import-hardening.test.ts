import { parse } from 'csv-parse/sync'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../src-shared/contract'
import { MAX_ROW_CHARS } from '../../src-main/core/devices/import-parsers'
import { IMPORT_BATCH } from '../../src-main/core/devices/import.service'
import { REFUSAL_COLUMN, REFUSED_LINE_MEMBER, refusedRowsCsv, refusedRowsJsonLines } from '../../src-shared/models/refused-rows-csv'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

const reason = (e: ImportReport['errors'][number]) => `Row ${e.row}: ${e.message}`

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

async function importBytes(core: TestCore, fileName: string, content: Uint8Array, options: { encoding?: 'utf-8' | 'latin1'; chunk?: number } = {}) {
  const { jobId } = await core.call('import:start', { fileName, ...(options.encoding ? { encoding: options.encoding } : {}) })
  const size = options.chunk ?? 64 * 1024
  for (let i = 0; i < content.length; i += size) {
    const r = await core.dispatcher.invoke('import:chunk', { jobId, data: Buffer.from(content.subarray(i, i + size)).toString('base64') })
    if (!r.ok) return { jobId, refused: r.error }
  }
  const r = await core.dispatcher.invoke('import:finish', { jobId })
  return r.ok ? { jobId, report: r.value as ImportReport } : { jobId, refused: r.error }
}

describe('import: bad input is refused by name, nothing is lost or counted twice', () => {
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

  const allDevices = async () => (await core.call('devices:list', { limit: 1000 })).items

  it('refuses the rows of a mixed-encoding file with their line and byte offset, and imports them only as Latin-1 when asked', async () => {
    // Line 3 was saved by a Latin-1 editor ("é" is the single byte 0xE9); line 4 is UTF-8.
    const file = bytes('typeId,deviceId,description\n', 'meter,m-1,plain\n', 'meter,m-2,caf', [0xe9], '\n', 'meter,m-3,café\n')
    for (const chunk of [1, 7, 1000]) {
      const t = await tempDir()
      const own = await testCore(t.dir)
      const { report } = await importBytes(own, 'mixed.csv', file, { chunk })
      expect(report).toMatchObject({ rows: 3, added: 2, failed: 1, errors: [{ row: 3, ref: { key: 'import.invalidUtf8', params: { line: 3, offset: 57, byte: '0xE9' } } }] })
      expect(report!.errors[0]!.message).toContain('Line 3, byte offset 57')
      // Its replacement character would be taken for the file's text if the refused-rows export carried it.
      expect(report!.errors[0]!.cells).toBeUndefined()
      const stored = (await own.call('devices:list', {})).items
      expect(stored.map((d) => d.description)).toEqual(['plain', 'café'])
      await own.close()
      await t.cleanup()
    }
    const latin = await importBytes(core, 'latin.csv', bytes('typeId,deviceId,description\n', 'meter,l-1,caf', [0xe9], '\n'), { encoding: 'latin1' })
    expect(latin.report).toMatchObject({ added: 1, failed: 0 })
    expect((await core.call('devices:get', { typeId: 'meter', deviceId: 'l-1' })).description).toBe('café')
    expect(JSON.stringify(await allDevices())).not.toContain('\ufffd')
  })

  it('refuses NUL characters in CSV and JSON Lines, and a header that is not UTF-8 refuses the file', async () => {
    const csv = await importBytes(core, 'n.csv', bytes('typeId,deviceId\n', 'meter,a\n', 'meter,b', [0], '\n', 'meter,c\n'))
    expect(csv.report).toMatchObject({ rows: 3, added: 2, failed: 1, errors: [{ row: 3, ref: { key: 'import.nulCharacter', params: { line: 3 } } }] })
    const jsonl = await importBytes(core, 'n.jsonl', bytes('{"typeId":"j","deviceId":"a"}\n{"typeId":"j","deviceId":"b","x":"', [0], '"}\n'))
    expect(jsonl.report).toMatchObject({ added: 1, failed: 1, errors: [{ row: 2, ref: { key: 'import.nulCharacter' } }] })
    const header = await importBytes(core, 'h.csv', bytes('typeId,deviceId,d', [0xe9], 'scription\nmeter,z\n'))
    expect(header.refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.invalidUtf8', params: { line: 1 } } } })
    expect((await allDevices()).map((d) => `${d.typeId}/${d.deviceId}`)).toEqual(['j/a', 'meter/a', 'meter/c'])
  })

  it('counts a malformed CSV row once, by the line it starts on, and names the lines a stray quote swallowed', async () => {
    // csv-parse reports two errors for line 3; the quote opened on line 5 runs to the quote on line 7.
    const file = ['typeId,deviceId', 'meter,a', 'meter,b"x"', 'meter,c', 'meter,"d"x', 'meter,lost', 'meter,"e"', 'meter,f'].join('\n')
    const { report } = await importBytes(core, 'q.csv', Buffer.from(file))
    expect(report).toMatchObject({ rows: 5, added: 3, failed: 2 })
    expect(report!.errors.map((e) => [e.row, e.ref.key, e.ref.params?.last, e.ref.params?.problem])).toEqual([
      [3, 'import.csvRow', undefined, 'openingQuote'],
      [5, 'import.badRecord', 7, 'afterClosingQuote'],
    ])
    // csv-parse's own English ("Invalid Opening Quote: a quote is found on field 1 at line 3…") is not the operator's.
    expect(report!.errors.map((e) => e.message)).toEqual([
      'Unreadable CSV row: a quote in the middle of a field that does not start with one',
      'Unreadable CSV record, lines 5–7: text right after a closing quote, where a comma or the end of the line belongs',
    ])
    expect((await allDevices()).map((d) => d.deviceId)).toEqual(['a', 'c', 'f'])
  })

  it('refuses a CSV row with more fields than the header rather than shift its cells; a short row or trailing empty fields are read', async () => {
    // Cold trial: "Main St, north side" unquoted was imported as description "Main St", site "north side", "north" lost.
    const file = ['typeId,deviceId,description,site', 'meter,b1,Main St, north side,north', 'meter,b2,short', 'meter,b3,fine,south,,', 'meter,b4,"Quoted, kept",east'].join('\n')
    const { report } = await importBytes(core, 'shift.csv', Buffer.from(file))
    expect(report).toMatchObject({ rows: 4, added: 3, failed: 1 })
    expect(report!.errors).toMatchObject([
      { row: 2, message: 'Unreadable CSV row: more fields than the header has columns (a comma in a field nobody quoted?)', ref: { key: 'import.csvRow', params: { problem: 'fieldCount' } } },
    ])
    // The row is carried as the file wrote it, for the refused-rows export.
    expect(report!.errors[0]!.cells).toEqual(['meter', 'b1', 'Main St', ' north side', 'north'])
    const devices = await Promise.all((await allDevices()).map((d) => core.call('devices:get', { typeId: d.typeId, deviceId: d.deviceId })))
    expect(devices.map((d) => [d.deviceId, d.description, d.metadata])).toEqual([
      ['b2', 'short', {}],
      ['b3', 'fine', { site: 'south' }],
      ['b4', 'Quoted, kept', { site: 'east' }],
    ])
  })

  it('stops, by line, where csv-parse can read no further (a character after a closing quote), keeping what came before', async () => {
    const file = ['typeId,deviceId', 'meter,a', 'meter,"d" y', 'meter,e'].join('\n')
    const { refused } = await importBytes(core, 'w.csv', Buffer.from(file))
    expect(refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.csvStopped', params: { line: 3, problem: 'afterClosingQuote' } } } })
    expect(refused!.message).not.toMatch(/trimable|Invalid Closing Quote/i)
    expect((await allDevices()).map((d) => d.deviceId)).toEqual(['a'])
    const [end] = (await core.call('audit:list', { query: 'devices.import' })).items
    expect(end).toMatchObject({ action: 'devices.import', outcome: 'failed', after: { rows: 1, added: 1 } })
  })

  it('refuses a JSON line over the limit by its number without keeping it, and imports the lines around it', async () => {
    const long = `{"typeId":"t","deviceId":"long","description":"${'x'.repeat(MAX_ROW_CHARS + 10)}"}`
    const file = Buffer.from([`{"typeId":"t","deviceId":"before"}`, long, `{"typeId":"t","deviceId":"after"}`, ''].join('\n'))
    const { report } = await importBytes(core, 'long.jsonl', file, { chunk: 100_000 })
    expect(report).toMatchObject({ rows: 3, added: 2, failed: 1, errors: [{ row: 2, ref: { key: 'import.lineTooLong', params: { line: 2, max: MAX_ROW_CHARS } } }] })
    expect((await allDevices()).map((d) => d.deviceId)).toEqual(['after', 'before'])
  })

  it('stops at a CSV record over the limit (an unclosed quote), keeping and auditing what came before', async () => {
    const rows = ['typeId,deviceId,description', ...Array.from({ length: 600 }, (_, i) => `meter,r-${i},ok`), `meter,open,"${'y'.repeat(MAX_ROW_CHARS)}`, 'meter,never,x']
    const { refused } = await importBytes(core, 'open.csv', Buffer.from(rows.join('\n')), { chunk: 256 * 1024 })
    expect(refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.recordTooLong', params: { line: 602, max: MAX_ROW_CHARS } } } })
    expect((await core.call('devices:list', {})).total).toBe(600)
    const [end] = (await core.call('audit:list', { query: 'devices.import' })).items
    expect(end).toMatchObject({ action: 'devices.import', outcome: 'failed', after: { added: 600 } })
  })

  it('names the line an unclosed quote opens on, not the line a megabyte later where the record grew too long', async () => {
    const file = [
      'typeId,deviceId,description',
      'meter,a-1,x',
      'meter,a-2,y',
      'meter,a-3,z',
      `meter,uq-1,"never closed ${'B'.repeat(70)}`,
      ...Array.from({ length: 13_200 }, () => 'C'.repeat(80)),
      '',
    ].join('\n')
    const { refused } = await importBytes(core, 'uq.csv', Buffer.from(file), { chunk: 64 * 1024 })
    expect(refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.recordTooLong', params: { line: 5, max: MAX_ROW_CHARS } } } })
    expect(refused!.message).toMatch(/^Line 5: /)
    expect((await allDevices()).map((d) => d.deviceId)).toEqual(['a-1', 'a-2', 'a-3'])
    // A stop after a quote that swallowed lines is named by the record's first line too.
    const after = await importBytes(core, 'q11.csv', Buffer.from('typeId,deviceId\nmeter,b\nmeter,"x\ny\ny\nz" w,1\nmeter,c\n'))
    expect(after.refused).toMatchObject({ details: { ref: { key: 'import.csvStopped', params: { line: 3 } } } })
  })

  it('refuses a UTF-16 or UTF-32 file whole, by what it is, CSV and JSON Lines alike, and imports nothing', async () => {
    const csv = Buffer.from('typeId,deviceId\nmeter,u-1\n', 'utf16le')
    const jsonl = Buffer.from('{"typeId":"t","deviceId":"j-1"}\n', 'utf16le')
    const files: [string, Uint8Array, string][] = [
      ['le-bom.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), csv]), 'UTF-16LE'],
      ['be-bom.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(csv).swap16()]), 'UTF-16BE'],
      ['le.csv', csv, 'UTF-16LE'],
      ['be.csv', Buffer.from(csv).swap16(), 'UTF-16BE'],
      ['le-bom.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), jsonl]), 'UTF-16LE'],
      ['le.jsonl', jsonl, 'UTF-16LE'],
    ]
    for (const [name, content, encoding] of files) {
      for (const chunk of [1, 1000]) {
        const { refused } = await importBytes(core, name, content, { chunk })
        expect(refused, name).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.wideEncoding', params: { encoding } } } })
        expect(refused!.message).toContain('save it as UTF-8')
      }
      const latin = await importBytes(core, name, content, { encoding: 'latin1' })
      expect(latin.refused).toMatchObject({ details: { ref: { key: 'import.wideEncoding' } } })
    }
    expect(await allDevices()).toEqual([])
  })

  it('refuses a CSV file separated by semicolons or tabs by its separator, not as missing typeId and deviceId', async () => {
    // Cold trial: a spreadsheet in a French locale saves "CSV" with semicolons; the refusal said "(missing: typeId, deviceId)".
    for (const [content, separator, words] of [
      ['typeId;deviceId;description\nmeter;m-1;Nord\n', ';', '";"'],
      ['Type ID\tDevice ID\nmeter\tm-1\n', 'tab', 'tab characters'],
    ] as const) {
      const { refused } = await importBytes(core, 'semi.csv', Buffer.from(content))
      expect(refused, separator).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.otherSeparator', params: { separator } } } })
      expect(refused!.message).toBe(`The CSV header separates its columns with ${words}, not commas: save the file as CSV with commas`)
    }
    // A header of one column that names neither is still told what it misses.
    const { refused } = await importBytes(core, 'one.csv', Buffer.from('name\nx\n'))
    expect(refused).toMatchObject({ details: { ref: { key: 'import.badHeader' } } })
    expect(await allDevices()).toEqual([])
  })

  it('refuses an empty file, and a CSV header without rows, rather than report a success of nothing', async () => {
    for (const [name, content] of [
      ['empty.csv', ''],
      ['blank.csv', '  \n\n \r\n'],
      ['bom.csv', '\ufeff'],
      ['empty.jsonl', ''],
      ['blank.jsonl', '\n  \n'],
    ]) {
      const { refused } = await importBytes(core, name!, Buffer.from(content!))
      expect(refused, name).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.emptyFile' } } })
    }
    for (const content of ['typeId,deviceId\n', 'typeId,deviceId', 'typeId,deviceId,description\r\n\r\n\n']) {
      const { refused } = await importBytes(core, 'header.csv', Buffer.from(content))
      expect(refused, content).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.noRows' } } })
    }
    // A header that cannot be read is refused for that, as before.
    const latin = await importBytes(core, 'h.csv', bytes('typeId,deviceId,d', [0xe9], 'scription\n'))
    expect(latin.refused).toMatchObject({ details: { ref: { key: 'import.invalidUtf8', params: { line: 1 } } } })
    expect(await allDevices()).toEqual([])
    const [end] = (await core.call('audit:list', { query: 'devices.import' })).items
    expect(end).toMatchObject({ action: 'devices.import', outcome: 'failed', after: { rows: 0, added: 0 } })
  })

  it('refuses a file whose first line is not text as not CSV, in its own words rather than csv-parse’s', async () => {
    // Bytes of no encoding: a quote on line 1 closed on line 3 by one followed by a letter wedged csv-parse, which said
    // "Invalid Closing Quote: found non trimable byte after quote at line 3".
    const junk = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a], '"\x02', [0xc3, 0x28, 0x01], '\n\x03\n', [0xfa], '"x\n', [0xff, 0x00, 0x10], '\n')
    const binary = await importBytes(core, 'junk.csv', junk)
    expect(binary.refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.notCsvText' } } })
    const seeded = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 251))
    expect((await importBytes(core, 'seeded.csv', seeded)).refused).toMatchObject({ details: { ref: { key: 'import.notCsvText' } } })
    // A control character in an otherwise readable header.
    expect((await importBytes(core, 'ctl.csv', Buffer.from('typeId,\x1bdeviceId\nmeter,a\n'))).refused).toMatchObject({ details: { ref: { key: 'import.notCsvText' } } })
    expect(await allDevices()).toEqual([])
  })

  it('refuses a JSON Lines file whose first line is not text once, not line by line; a Latin-1 line keeps its hint', async () => {
    const seeded = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 251))
    const binary = await importBytes(core, 'seeded.jsonl', seeded)
    expect(binary.refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.notJsonLinesText' } } })
    const oneLine = await importBytes(core, 'one.jsonl', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x1a, 0x00, 0x10]))
    expect(oneLine.refused).toMatchObject({ details: { ref: { key: 'import.notJsonLinesText' } } })
    expect(await allDevices()).toEqual([])
    // A Latin-1 "é" in an otherwise good first line: that row is refused with where the byte is, the rest imported.
    const latin = await importBytes(core, 'latin.jsonl', bytes('{"typeId":"t","deviceId":"a","description":"caf', [0xe9], '"}\n{"typeId":"t","deviceId":"b"}\n'))
    expect(latin.report).toMatchObject({ added: 1, failed: 1, errors: [{ row: 1, ref: { key: 'import.invalidUtf8' } }] })
  })

  it('says every refusal of the file layer in both languages', async () => {
    const { default: en } = await import('../../src-renderer/src/i18n/en.json')
    const { default: fr } = await import('../../src-renderer/src/i18n/fr.json')
    for (const key of ['wideEncoding', 'emptyFile', 'noRows', 'notCsvText', 'notJsonLinesText', 'csvRow', 'badRecord', 'csvStopped', 'badCsv', 'otherSeparator'] as const) {
      for (const catalogue of [en, fr]) expect(catalogue.import[key], key).toEqual(expect.any(String))
    }
    for (const problem of ['openingQuote', 'afterClosingQuote', 'quoteNotClosed', 'fieldCount', 'other']) expect(fr.import.csvRow).toContain(`${problem} {`)
    // Cold trial: a row with one field too many was said to have "not as many fields" as the header, which reads as fewer.
    expect(en.import.csvRow).toContain('fieldCount {more fields than the header has columns')
    expect(fr.import.csvRow).toContain('fieldCount {plus de champs que l’en-tête n’a de colonnes')
  })

  it('refuses rows holding Infinity, prototype keys or deep nesting, each by name', async () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`
    const lines = [
      '{"typeId":"t","deviceId":"ok","metadata":{"site":"A","n":3}}',
      '{"typeId":"t","deviceId":"inf","reading":1e999}',
      '{"typeId":"t","deviceId":"proto","metadata":{"__proto__":{"admin":true}}}',
      '{"typeId":"t","deviceId":"ctor","constructor":"x"}',
      `{"typeId":"t","deviceId":"deep","metadata":${deep}}`,
      `{"typeId":"t","deviceId":"big","metadata":{"blob":"${'z'.repeat(70_000)}"}}`,
    ]
    const { report } = await importBytes(core, 'j.jsonl', Buffer.from(lines.join('\n')))
    expect(report!.errors.map((e) => [e.row, e.ref.key])).toEqual([
      [2, 'errors.jsonNotFinite'],
      [3, 'errors.jsonForbiddenKey'],
      [4, 'errors.jsonForbiddenKey'],
      [5, 'errors.jsonTooDeep'],
      [6, 'errors.jsonTooLarge'],
    ])
    expect(report!.errors[1]!.ref.params).toMatchObject({ key: '__proto__', pointer: '/metadata/__proto__' })
    expect((await core.call('devices:get', { typeId: 't', deviceId: 'ok' })).metadata).toEqual({ site: 'A', n: '3' })
    const csv = await importBytes(core, 'p.csv', Buffer.from('typeId,deviceId,__proto__\nmeter,x,1\n'))
    expect(csv.refused).toMatchObject({ code: 'VALIDATION', details: { ref: { key: 'import.forbiddenColumn', params: { column: '__proto__' } } } })
  })

  it('refuses a damaged chunk and ends the import', async () => {
    const { jobId } = await core.call('import:start', { fileName: 'x.csv' })
    expect(await core.dispatcher.invoke('import:chunk', { jobId, data: 'not base64!' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'import.badChunk' } } } })
    expect(await core.dispatcher.invoke('import:finish', { jobId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('refuses a device the file names twice, and takes the same ID under two types as two devices', async () => {
    const file = ['typeId,deviceId', 'meter,x-1', 'valve,x-1', 'meter,x-2', 'meter,x-1', 'valve,x-1'].join('\n')
    const { report } = await importBytes(core, 'twice.csv', Buffer.from(file))
    expect(report).toMatchObject({ rows: 5, added: 3, failed: 2 })
    expect(report!.errors.map((e) => [e.row, e.ref.key])).toEqual([
      [5, 'import.duplicate'],
      [6, 'import.duplicate'],
    ])
    expect((await core.call('devices:list', {})).items.map((d) => `${d.typeId}/${d.deviceId}`).sort()).toEqual(['meter/x-1', 'meter/x-2', 'valve/x-1'])
  })

  it('tells a device named again in a later batch from one the workspace held before, in the same way as within a batch', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'before' })
    const rows = ['typeId,deviceId', 'meter,before', 'meter,again', ...Array.from({ length: IMPORT_BATCH }, (_, i) => `meter,b-${i}`), 'meter,again', 'meter,before', 'meter,b-0', 'meter,last']
    const { report } = await importBytes(core, 'batches.csv', Buffer.from(rows.join('\n')))
    expect(report).toMatchObject({ rows: IMPORT_BATCH + 6, added: IMPORT_BATCH + 2, failed: 4 })
    const second = IMPORT_BATCH + 4
    // The rows to fix first, then the devices already there.
    expect(report!.errors.map((e) => [e.row, e.ref.key, e.ref.params?.id])).toEqual([
      [second, 'import.duplicate', 'meter/again'],
      [second + 1, 'import.duplicate', 'meter/before'],
      [second + 2, 'import.duplicate', 'meter/b-0'],
      [2, 'import.exists', 'meter/before'],
    ])
    expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'last' })).toMatchObject({ deviceId: 'last' })
  })

  it('run again after an interruption, lists every other refusal and only the first devices already there; a cancel is audited as such', async () => {
    const header = 'typeId,deviceId,carrier,iccid'
    const first = Array.from({ length: 1500 }, (_, i) => `meter,m-${i},,`)
    expect((await importBytes(core, 'fleet.csv', Buffer.from([header, ...first].join('\n')))).report).toMatchObject({ added: 1500, failed: 0, existing: 0 })
    // The whole file again, with one row a spreadsheet damaged far behind the rows already there.
    const again = [header, ...first, 'meter,new-1,jasper,8.98821E+18', 'meter,new-2,,']
    const progress: unknown[] = []
    const stop = core.bus.subscribe((name, payload) => {
      if (name === 'job:progress') progress.push(payload)
    })
    const { report, jobId } = await importBytes(core, 'fleet.csv', Buffer.from(again.join('\n')))
    stop()
    expect(report).toMatchObject({ rows: 1502, added: 1, failed: 1501, existing: 1500 })
    // The app's panel says the devices already there apart while the import runs, as at its end.
    expect(progress.at(-1)).toMatchObject({ jobId, rows: 1502, added: 1, failed: 1501, existing: 1500, done: true })
    const keys = report!.errors.map((e) => e.ref.key)
    expect(keys.filter((k) => k === 'import.exists')).toHaveLength(100)
    expect(report!.errors.filter((e) => e.ref.key !== 'import.exists').map((e) => e.row)).toEqual([1502])
    expect(report!.errors[0]!.row).toBe(1502)
    const end = (await core.call('audit:list', { query: jobId, limit: 50 })).items.find((e) => e.action === 'devices.import')
    expect(end).toMatchObject({ after: { added: 1, failed: 1501, existing: 1500 }, detail: expect.stringContaining('1 added, 1500 already there, 1 refused of 1502 rows') })

    // Cancelled part way: the devices added stay, and the trail says it was the operator's cancel (the parser still
    // holds the last line it was given, which could have gone on in the next chunk).
    const { jobId: cancelled } = await core.call('import:start', { fileName: 'later.csv' })
    await core.call('import:chunk', { jobId: cancelled, data: Buffer.from(['typeId,deviceId', 'meter,c-1', 'meter,c-2', 'meter,c-3', ''].join('\n')).toString('base64') })
    expect(await core.call('import:cancel', { jobId: cancelled })).toEqual({ cancelled: true })
    const cancelEnd = (await core.call('audit:list', { query: cancelled, limit: 50 })).items.find((e) => e.action === 'devices.import')
    expect(cancelEnd).toMatchObject({
      outcome: 'failed',
      after: { added: 2, cancelled: true },
      detail: expect.stringContaining('2 added, 0 refused of 2 rows; cancelled by the operator after 2 rows; the devices added stay'),
    })
    expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'c-2' })).toMatchObject({ deviceId: 'c-2' })
  })

  it('tells the lists that devices arrived while a long import runs, not only at its end', async () => {
    const changed: number[] = []
    core.bus.subscribe((name) => {
      if (name === 'devices:changed') changed.push(Date.now())
    })
    const { jobId } = await core.call('import:start', { fileName: 'long.csv' })
    const rows = ['typeId,deviceId', ...Array.from({ length: IMPORT_BATCH + 10 }, (_, i) => `meter,l-${i}`), '']
    await core.call('import:chunk', { jobId, data: Buffer.from(rows.join('\n')).toString('base64') })
    await expect.poll(() => changed.length).toBeGreaterThan(0)
    expect((await core.call('devices:list', { limit: 1 })).total).toBeGreaterThanOrEqual(IMPORT_BATCH)
    await core.call('import:finish', { jobId })
  })

  it('refuses as existing a device another writer adds while the import runs, and its counts and trail stay true', async () => {
    const { jobId } = await core.call('import:start', { fileName: 'meanwhile.csv' })
    const chunk = async (lines: string[]) => {
      const r = await core.dispatcher.invoke('import:chunk', { jobId, data: Buffer.from(`${lines.join('\n')}\n`).toString('base64') })
      expect(r.ok).toBe(true)
    }
    // The first batch is written (and handed to the index) within this chunk; meter/x waits in the next batch.
    await chunk(['typeId,deviceId,description', ...Array.from({ length: IMPORT_BATCH }, (_, i) => `meter,b-${i},file`), 'meter,x,file'])
    // Meanwhile: the UI adds two devices, a replica writes one straight into the database.
    await core.call('devices:add', { typeId: 'meter', deviceId: 'x', description: 'UI' })
    await core.call('devices:add', { typeId: 'meter', deviceId: 'ui', description: 'UI' })
    const now = new Date().toISOString()
    await core.workspace.db.put({
      _id: 'device:meter:replica',
      kind: 'device',
      schemaVersion: 1,
      typeId: 'meter',
      deviceId: 'replica',
      description: 'replica',
      metadata: {},
      extensionConfig: null,
      createdAt: now,
      updatedAt: now,
    } as never)
    await chunk(['meter,ui,file', 'meter,replica,file', 'meter,y,file'])
    const finished = await core.dispatcher.invoke('import:finish', { jobId })
    expect(finished.ok).toBe(true)
    const report = (finished as { value: ImportReport }).value
    expect(report).toMatchObject({ rows: IMPORT_BATCH + 4, added: IMPORT_BATCH + 1, failed: 3 })
    expect(report.errors.map((e) => [e.row, e.ref.key, e.ref.params?.id])).toEqual([
      [IMPORT_BATCH + 2, 'import.exists', 'meter/x'],
      [IMPORT_BATCH + 3, 'import.exists', 'meter/ui'],
      [IMPORT_BATCH + 4, 'import.exists', 'meter/replica'],
    ])
    for (const [deviceId, description] of [
      ['x', 'UI'],
      ['ui', 'UI'],
      ['replica', 'replica'],
      ['y', 'file'],
    ])
      expect(await core.call('devices:get', { typeId: 'meter', deviceId: deviceId! })).toMatchObject({ description })
    const trail = (await core.call('audit:list', { query: jobId, limit: 100 })).items.reverse()
    const batches = trail.filter((e) => e.action === 'devices.import.batch').map((e) => (e.after as { added: number }).added)
    expect(batches).toEqual([IMPORT_BATCH, 1])
    expect(trail.at(-1)).toMatchObject({ action: 'devices.import', outcome: 'ok', after: { rows: IMPORT_BATCH + 4, added: IMPORT_BATCH + 1, failed: 3 } })
    expect((await core.call('devices:query', { query: { filters: { typeId: ['meter'] } } })).total).toBe(IMPORT_BATCH + 4)
  })

  it('counts what a batch wrote when another writer takes one of its devices between the check and the write, and imports again after', async () => {
    // The other writer's device lands just before the batch's bulkDocs, which refuses that one device (409) and writes the rest.
    const db = core.workspace.db
    const bulkDocs = db.bulkDocs.bind(db) as (...args: unknown[]) => Promise<unknown>
    let armed = true
    Object.assign(db, {
      bulkDocs: async (docs: { _id: string }[], ...rest: unknown[]) => {
        if (armed && docs.some((d) => d._id === 'device:meter:b-7')) {
          armed = false
          const now = new Date().toISOString()
          await db.put({
            _id: 'device:meter:b-7',
            kind: 'device',
            schemaVersion: 1,
            typeId: 'meter',
            deviceId: 'b-7',
            description: 'other writer',
            metadata: {},
            extensionConfig: null,
            createdAt: now,
            updatedAt: now,
          } as never)
        }
        return bulkDocs(docs, ...rest)
      },
    })
    const rows = ['typeId,deviceId', ...Array.from({ length: IMPORT_BATCH + 10 }, (_, i) => `meter,b-${i}`)]
    const { jobId, refused } = await importBytes(core, 'race.csv', Buffer.from(rows.join('\n')))
    expect(refused).toBeDefined()
    const trail = (await core.call('audit:list', { query: jobId, limit: 100 })).items.reverse()
    expect(trail.map((e) => e.action)).toEqual(['devices.import.start', 'devices.import.batch', 'devices.import'])
    expect(trail.at(-1)).toMatchObject({ outcome: 'failed', after: { added: IMPORT_BATCH - 1 } })
    expect((await core.call('devices:query', { query: {} })).total).toBe(IMPORT_BATCH)
    expect(await core.call('devices:get', { typeId: 'meter', deviceId: 'b-7' })).toMatchObject({ description: 'other writer' })
    // The import is over: nothing is left to be recorded as interrupted, and the next import runs.
    expect(((await db.get('_local/imports')) as unknown as { running: object }).running).toEqual({})
    const next = await importBytes(core, 'next.csv', Buffer.from('typeId,deviceId\nmeter,after\n'))
    expect(next.report).toMatchObject({ added: 1, failed: 0 })
  })

  it('writes each batch with its own audit entry, between a start and an end entry', async () => {
    const count = 2 * IMPORT_BATCH + 234
    const rows = ['typeId,deviceId', ...Array.from({ length: count }, (_, i) => `meter,b-${i}`)]
    const { report, jobId } = await importBytes(core, 'batches.csv', Buffer.from(rows.join('\n')), { chunk: 64 * 1024 })
    expect(report).toMatchObject({ added: count })
    const trail = (await core.call('audit:list', { query: jobId, limit: 100 })).items.reverse()
    expect(trail.map((e) => e.action)).toEqual(['devices.import.start', 'devices.import.batch', 'devices.import.batch', 'devices.import.batch', 'devices.import'])
    const batches = trail.filter((e) => e.action === 'devices.import.batch').map((e) => e.after as { added: number; rows: [number, number]; first: string; last: string })
    expect(batches.map((b) => [b.added, b.rows, b.first, b.last])).toEqual([
      [IMPORT_BATCH, [2, IMPORT_BATCH + 1], 'meter/b-0', `meter/b-${IMPORT_BATCH - 1}`],
      [IMPORT_BATCH, [IMPORT_BATCH + 2, 2 * IMPORT_BATCH + 1], `meter/b-${IMPORT_BATCH}`, `meter/b-${2 * IMPORT_BATCH - 1}`],
      [234, [2 * IMPORT_BATCH + 2, count + 1], `meter/b-${2 * IMPORT_BATCH}`, `meter/b-${count - 1}`],
    ])
    expect(trail.at(-1)).toMatchObject({ outcome: 'ok', after: { rows: count, added: count, failed: 0 } })
  })

  // The refused rows, exported as CSV to fix and import again (small chunks: a row's text must survive being cut anywhere).
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
    const report = (await importBytes(core, 'devices.csv', Buffer.from(`${file}\r\n`), { chunk: 7 })).report!
    expect(report).toMatchObject({ added: 2, failed: 4, columns: ['Type ID', 'Device ID', 'Description', 'site'] })
    expect(report.errors.map((e) => [e.row, e.cells])).toEqual([
      [3, ['meter', 'bad id', 'refused', 'B']],
      [4, ['meter', 'm-1', 'duplicate', 'C']],
      // csv-parse gives a record it cannot read only up to where it stopped: its reason goes alone.
      [7, undefined],
      // The devices already there come after the rows to fix.
      [5, ['meter', 'm-0', 'exists already', 'D']],
    ])
  })

  it('writes them spreadsheet-safe with their reason first, and the fixed file imports without the reason becoming metadata', async () => {
    const file = ['typeId,deviceId,description', 'meter,bad id,"=1+2, evil"', 'meter,ok-1,fine'].join('\n')
    const report = (await importBytes(core, 'devices.csv', Buffer.from(file), { chunk: 7 })).report!
    expect(report).toMatchObject({ added: 1, failed: 1 })
    const csv = refusedRowsCsv({ ...report, columns: report.columns! }, reason)
    expect(csv.split('\r\n')[0]).toBe(`${REFUSAL_COLUMN},typeId,deviceId,description`)
    // The formula is defused (a leading apostrophe), the comma kept inside its quoted cell.
    expect(csv).toContain(`,meter,bad id,"'=1+2, evil"\r\n`)
    const rows = parse(csv, { columns: true }) as Record<string, string>[]
    expect(rows).toEqual([{ [REFUSAL_COLUMN]: expect.stringMatching(/^Row 2: /), typeId: 'meter', deviceId: 'bad id', description: "'=1+2, evil" }])

    // The operator fixes the id and imports the export as it is.
    const fixed = csv.replace(',meter,bad id,', ',meter,fixed-1,')
    const again = (await importBytes(core, 'devices-refused.csv', Buffer.from(fixed))).report!
    expect(again.errors).toEqual([])
    expect(again).toMatchObject({ added: 1, failed: 0 })
    const device = await core.call('devices:get', { typeId: 'meter', deviceId: 'fixed-1' })
    expect(device.metadata).toEqual({})
    // What the spreadsheet-safe apostrophe defused reads back as it was, not with the apostrophe.
    expect(device.description).toBe('=1+2, evil')
  })

  it('writes a JSON-lines import’s refused rows as JSON lines, reason first and the line as written, and the fixed file imports again', async () => {
    const long = `{"typeId":"j","deviceId":"bad id","description":"${'x'.repeat(9000)}"}`
    const lines = ['{"typeId":"j","deviceId":"bad id","carrier":"jasper","iccid":89882167000000000012}', long, 'not json', '{"typeId":"j","deviceId":"ok-1"}']
    const report = (await importBytes(core, 'devices.jsonl', Buffer.from(`${lines.join('\n')}\n`), { chunk: 4096 })).report!
    expect(report.columns).toBeUndefined()
    expect(report.errors.map((e) => [e.row, e.cells])).toEqual([
      [1, [lines[0]]],
      [2, undefined],
      [3, ['not json']],
    ])
    const text = refusedRowsJsonLines(report, reason)
    const written = text.split('\n')
    // The unquoted number stays as written (parsing and writing it again would round it); a row too long has no line.
    // A line that is not a JSON object keeps its reason too, beside the line as text.
    expect(written).toEqual([expect.stringMatching(/^\{"importRefusal":"Row 1: .*","typeId":"j","deviceId":"bad id","carrier":"jasper","iccid":89882167000000000012\}$/), expect.any(String), ''])
    expect(JSON.parse(written[0]!)).toMatchObject({ [REFUSAL_COLUMN]: expect.stringMatching(/^Row 1: /), typeId: 'j', deviceId: 'bad id' })
    expect(JSON.parse(written[1]!)).toEqual({ [REFUSAL_COLUMN]: expect.stringMatching(/^Row 3: .+/), [REFUSED_LINE_MEMBER]: 'not json' })

    // The operator fixes the id and the number, and the line that was not JSON in place of its object, and imports the
    // export as it is.
    const fixedLine = `{"typeId":"j","deviceId":"fixed-k","${REFUSAL_COLUMN}":"kept","${REFUSED_LINE_MEMBER}":"not json"}`
    const fixed = `${written[0]!.replace('"deviceId":"bad id"', '"deviceId":"fixed-j"').replace('89882167000000000012', '"89882167000000000012"')}\n${fixedLine}\n`
    const again = (await importBytes(core, 'devices-refused.jsonl', Buffer.from(fixed))).report!
    expect(again).toMatchObject({ added: 2, failed: 0, errors: [] })
    expect((await core.call('devices:get', { typeId: 'j', deviceId: 'fixed-j' })).metadata).toEqual({})
    expect((await core.call('devices:get', { typeId: 'j', deviceId: 'fixed-k' })).metadata).toEqual({})
  })
})
