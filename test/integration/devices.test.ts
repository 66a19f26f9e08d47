import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, testCore } from '../helpers/core'

type TestCore = Awaited<ReturnType<typeof testCore>>

/** Sends `bytes` to an import `size` bytes at a time, as the CLI and the UI do (cuts may fall inside a character). */
async function sendBytes(core: TestCore, jobId: string, bytes: Uint8Array, size = bytes.length): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) await core.call('import:chunk', { jobId, data: Buffer.from(bytes.subarray(i, i + size)).toString('base64') })
}

describe('devices through the bridge, on a real workspace', () => {
  let core: TestCore
  let cleanup: () => Promise<void>
  let dir: string

  beforeEach(async () => {
    const t = await tempDir()
    dir = t.dir
    cleanup = t.cleanup
    core = await testCore(dir)
  })
  afterEach(async () => {
    await core.close()
    await cleanup()
  })

  it('adds, lists, filters and removes devices, auditing each change', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1', description: 'North substation' })
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-2' })
    await core.call('devices:add', { typeId: 'gateway', deviceId: 'g.1' })
    expect((await core.call('devices:list', {})).items.map((d) => `${d.typeId}/${d.deviceId}`)).toEqual(['gateway/g.1', 'meter/m-1', 'meter/m-2'])
    expect(await core.call('devices:list', { query: 'NORTH' })).toMatchObject({ total: 1, items: [{ deviceId: 'm-1' }] })
    expect(await core.call('devices:list', { query: 'meter', offset: 1, limit: 1 })).toMatchObject({ total: 2, items: [{ deviceId: 'm-2' }] })

    await core.call('devices:remove', { typeId: 'meter', deviceId: 'm-2' })
    expect((await core.call('devices:list', {})).total).toBe(2)

    const audit = await core.call('audit:list', {})
    expect(audit.items.map((e) => `${e.action} ${e.target}`)).toEqual(['device.remove meter/m-2', 'device.add gateway/g.1', 'device.add meter/m-2', 'device.add meter/m-1'])
    expect(await core.call('audit:list', { query: 'remove' })).toMatchObject({ total: 1 })
  })

  it('refuses duplicates and bad ids and changes nothing', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    const dup = await core.dispatcher.invoke('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    expect(dup).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { ref: { key: 'errors.deviceExists' } } } })
    for (const bad of ['', 'has space', 'x'.repeat(37), 'a/b', 'a:b']) {
      expect(await core.dispatcher.invoke('devices:add', { typeId: 'meter', deviceId: bad })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    }
    expect(await core.dispatcher.invoke('devices:get', { typeId: 'meter', deviceId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect((await core.call('devices:list', {})).total).toBe(1)
    expect((await core.call('audit:list', {})).total).toBe(1)
  })

  it('saves only valid configurations, keeps drafts across a restart, and audits before/after', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'm-1' })
    const key = { typeId: 'meter', deviceId: 'm-1' }
    const bad = '{"jasper": {"iccid": "898821671697000497"}}'
    await core.call('devices:saveDraft', { ...key, text: bad })
    const refused = await core.dispatcher.invoke('devices:saveConfig', { ...key, text: bad })
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { diagnostics: [{ line: 1, column: 22, pointer: '/jasper/iccid' }] } } })
    expect((await core.call('devices:get', key)).extensionConfig).toBeNull()

    // Restart: the operator's unsaved text is still there.
    await core.close()
    core = await testCore(dir)
    expect((await core.call('devices:get', key)).draft?.text).toBe(bad)

    const good = '{"jasper": {"iccid": "8988216716970004973"}}'
    const saved = await core.call('devices:saveConfig', { ...key, text: good })
    expect(saved.device).toMatchObject({ extensionConfig: { jasper: { iccid: '8988216716970004973' } }, extensions: ['jasper'], draft: null })
    expect((await core.call('devices:list', {})).items[0]?.extensions).toEqual(['jasper'])
    const [entry] = (await core.call('audit:list', { query: 'config' })).items
    expect(entry).toMatchObject({ action: 'device.config.save', before: null, after: { jasper: { iccid: '8988216716970004973' } } })
  })

  it('imports CSV split at awkward chunk boundaries, with a per-row report', async () => {
    await core.call('devices:add', { typeId: 'meter', deviceId: 'exists' })
    const csv = [
      'Device type,Device ID,description,carrier,iccid,site',
      'meter,m-1,"North, main – été",jasper,8988216716970004973,A',
      'meter,m-2,spreadsheet,jasper,8.98822E+18,B',
      'meter,m-1,again,,,',
      'meter,exists,,,,',
      'meter,bad id,,,,',
      'meter,m-3,no carrier,,8988216716970004973,',
      'meter,m-4,"multi',
      'line",,,C',
    ].join('\r\n')
    const { jobId, format } = await core.call('import:start', { fileName: 'devices.csv' })
    expect(format).toBe('csv')
    await sendBytes(core, jobId, Buffer.from(csv), 7)
    const report = await core.call('import:finish', { jobId })
    expect(report).toMatchObject({ rows: 7, added: 2, failed: 5 })
    expect(report.errors.map((e) => [e.row, e.ref.key])).toEqual([
      [3, 'import.numericIccid'],
      [4, 'import.duplicate'],
      [6, 'errors.invalidDeviceId'],
      [7, 'import.missingField'],
      // The devices already there come after the rows to fix.
      [5, 'import.exists'],
    ])
    const m1 = await core.call('devices:get', { typeId: 'meter', deviceId: 'm-1' })
    expect(m1).toMatchObject({ description: 'North, main – été', metadata: { site: 'A' }, extensionConfig: { jasper: { iccid: '8988216716970004973' } } })
    expect((await core.call('devices:get', { typeId: 'meter', deviceId: 'm-4' })).description).toBe('multi\r\nline')
    expect((await core.call('audit:list', { query: 'devices.import' })).items[0]).toMatchObject({ target: 'devices.csv', after: { rows: 7, added: 2, failed: 5 } })
  })

  it('imports JSON Lines and refuses numbers where ids belong', async () => {
    const lines = [
      '{"typeId":"t","deviceId":"a","extensionConfig":{"orange":{"serialnumber":"1668007370011"}}}',
      '{"typeId":"t","deviceId":12}',
      '{"typeId":"t","deviceId":"b","carrier":"atnt","iccid":89011704252316180048}',
      '{oops',
      '',
      '{"typeId":"t","deviceId":"c"}',
    ]
    const { jobId } = await core.call('import:start', { fileName: 'd.jsonl' })
    await sendBytes(core, jobId, Buffer.from(lines.join('\n')))
    const report = await core.call('import:finish', { jobId })
    expect(report).toMatchObject({ rows: 5, added: 2, failed: 3 })
    expect(report.errors.map((e) => e.ref.key)).toEqual(['import.notString', 'import.numericIccid', 'import.badJsonAt'])
  })

  it('refuses a CSV without the id columns and leaves the workspace unchanged', async () => {
    const { jobId } = await core.call('import:start', { fileName: 'x.csv' })
    const r = await core.dispatcher.invoke('import:chunk', { jobId, data: Buffer.from('name,site\nfoo,bar\n').toString('base64') })
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'import.badHeader' } } } })
    expect((await core.call('devices:list', {})).total).toBe(0)
    expect(await core.dispatcher.invoke('import:finish', { jobId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('persists settings', async () => {
    expect(await core.call('settings:get', {})).toEqual({ language: 'en', theme: 'system', savedSearches: [] })
    await core.call('settings:set', { language: 'fr' })
    await core.close()
    core = await testCore(dir)
    expect(await core.call('settings:get', {})).toEqual({ language: 'fr', theme: 'system', savedSearches: [] })
    expect(await core.dispatcher.invoke('settings:set', { language: 'de' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('keeps saved searches of the device list, audits each change once, and refuses duplicates and bad names without changing anything', async () => {
    const searches = [
      { name: 'Orange meters', query: 'type=meter&carrier=orange' },
      { name: 'Config errors', query: 'errors=yes&sort=updatedAt&desc=1' },
    ]
    await core.call('settings:set', { savedSearches: searches })
    // The same list sent again is no change: no second audit entry.
    await core.call('settings:set', { savedSearches: searches })
    await core.close()
    core = await testCore(dir)
    expect((await core.call('settings:get', {})).savedSearches).toEqual(searches)
    const audit = await core.call('audit:list', { query: 'settings.update', offset: 0, limit: 100 })
    expect(audit.items.filter((e) => e.action === 'settings.update')).toHaveLength(1)

    for (const bad of [
      [...searches, { name: 'Orange meters', query: '' }],
      [{ name: 'tab\there', query: '' }],
      [{ name: '   ', query: '' }],
      Array.from({ length: 51 }, (_, i) => ({ name: `s${i}`, query: '' })),
    ]) {
      expect(await core.dispatcher.invoke('settings:set', { savedSearches: bad })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    }
    expect((await core.call('settings:get', {})).savedSearches).toEqual(searches)
  })

  it('reads settings written before saved searches existed, keeping their language and theme', async () => {
    await core.workspace.db.put({ _id: '_local/settings', language: 'fr', theme: 'dark' } as never)
    expect(await core.call('settings:get', {})).toEqual({ language: 'fr', theme: 'dark', savedSearches: [] })
  })
})
