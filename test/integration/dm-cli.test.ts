import { spawn, spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCert, startMosquitto } from '../helpers/mosquitto'
import { tempDir } from '../helpers/core'
import { missingService } from '../helpers/system'

const cli = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))
const PACKAGE = JSON.stringify({
  bundleId: 'pump-actions',
  version: '1.2',
  provider: 'plant',
  displayName: { en_US: 'Pump actions' },
  actions: { flush: { actionDisplayName: { en_US: 'Flush' }, parameters: [{ name: 'seconds', value: '\\d{1,3}', required: true, defaultValue: '30' }] } },
})

const noOpenssl = missingService('openssl', spawnSync('openssl', ['version']).status === 0 ? null : 'the openssl command is not installed')

describe('fieldline dm (library and invoke)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let broker: Awaited<ReturnType<typeof startMosquitto>>
  let device: mqtt.MqttClient
  let cert: { cert: string; key: string } | null = null
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', join(dir, 'data'), ...args], {
        env: { ...process.env, FIELDLINE_MQTT_URL: broker.url, FIELDLINE_MQTT_CLIENT_ID: 'a:org1:cli', FIELDLINE_MQTT_CA_FILE: '', ...env },
      })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('close', (code) => resolve({ code, out, err }))
    })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    if (!noOpenssl) cert = await selfSignedCert()
    broker = await startMosquitto(cert ? { tls: cert } : {})
    device = await mqtt.connectAsync(broker.url, { clientId: 'g:org1:gw:cli-gw' })
    await device.subscribeAsync('iotdm-1/type/pump/id/p-9/mgmt/custom/#', { qos: 1 })
    device.on('message', (_topic, payload) => {
      const { reqId } = JSON.parse(payload.toString()) as { reqId: string }
      void device.publishAsync('iotdevice-1/type/pump/id/p-9/response', JSON.stringify({ rc: 202, reqId }), { qos: 1 })
    })
  })
  afterAll(async () => {
    await device.endAsync()
    await broker.stop()
    await cleanup()
  })

  // Cold trial: a Windows-1252 file was kept (and could be uploaded) with "Pompe � eau" in it, without a word.
  it('keeps nothing from a package file that is not UTF-8, and says so', async () => {
    const file = join(dir, 'latin1.json')
    await writeFile(file, Buffer.from(PACKAGE.replace('pump-actions', 'latin-pump').replace('Pump actions', 'Pompe à eau'), 'latin1'))
    const refused = await run(['dm', 'add', file])
    expect(refused).toMatchObject({ code: 2, out: '' })
    expect(refused.err).toMatch(/^fieldline: .*latin1\.json: Line 1, byte offset \d+: not UTF-8 \(byte 0xE0, perhaps Latin-1 or Windows-1252\): save the file as UTF-8 and add it again\n$/)
    expect((await run(['dm', 'show', 'latin-pump'])).code).not.toBe(0)
  })

  it('adds, lists, shows, exports, invokes and removes a package', async () => {
    const file = join(dir, 'pump.json')
    await writeFile(file, PACKAGE)
    // Cold trial: an empty library listed nothing at all, and one action was written "1 actions".
    expect(await run(['dm', 'list'])).toMatchObject({ code: 0, out: '', err: 'fieldline: the package library is empty (dm add FILE adds one)\n' })
    expect(await run(['dm', 'add', file])).toMatchObject({ code: 0, out: 'added pump-actions 1.2 (1 action)\n' })
    const again = await run(['dm', 'add', file])
    expect(again).toMatchObject({ code: 2, err: 'fieldline: the library already has pump-actions (version 1.2); add --replace to overwrite it\n' })
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{"bundleId": "bad id", "displayName": {"en": "B"}, "actions": {"a": {"actionDisplayName": {"en": "A"}}}}')
    const refused = await run(['dm', 'add', broken])
    expect(refused.code).toBe(2)
    expect(refused.err).toContain(`  ${broken}:1:14: error: "bundleId" contains a space or another invisible character (U+0020)`)
    expect((await run(['dm', 'add', file, '--replace'])).code).toBe(0)
    expect((await run(['dm', 'list'])).out).toBe('pump-actions\t1.2\tplant\t1 action\n')
    expect((await run(['dm', 'show', 'pump-actions'])).out).toContain('seconds (required) ~ \\d{1,3} = 30')
    expect((await run(['dm', 'export', 'pump-actions'])).out.trim()).toBe(PACKAGE)

    const badValue = await run(['dm', 'invoke', '--type', 'pump', '--id', 'p-9', 'pump-actions/flush', 'seconds=abc'])
    expect(badValue.code).toBe(2)
    // Nothing is sent, so nothing is said about sending.
    expect(badValue.err).not.toContain('warning')
    const badType = await run(['dm', 'invoke', '--type', 'pu/mp', '--id', 'p-9', 'pump-actions/flush', '--timeout', '10'])
    expect(badType).toMatchObject({ code: 2 })
    expect(badType.err).toContain('Invalid typeId "pu/mp"')
    // Cold trial: an action for a device the workspace does not hold went out without a word, and only "no response" came back.
    const ran = await run(['dm', 'invoke', '--type', 'pump', '--id', 'p-9', 'pump-actions/flush', '--timeout', '10'])
    expect(ran).toMatchObject({
      code: 0,
      out: 'pump-actions/flush on pump/p-9: rc 202 (accepted)\n',
      err: 'fieldline: warning: device pump/p-9 is not in the workspace; sending pump-actions/flush anyway\n',
    })
    expect((await run(['devices', 'add', 'pump', 'p-9'])).code).toBe(0)
    expect((await run(['dm', 'invoke', '--type', 'pump', '--id', 'p-9', 'pump-actions/flush', '--timeout', '10'])).err).toBe(
      'fieldline: warning: device pump/p-9 is not marked as supporting pump-actions; sending pump-actions/flush anyway\n',
    )
    const unanswered = await run(['dm', 'invoke', '--type', 'pump', '--id', 'p-404', 'pump-actions/flush', '--timeout', '1'])
    expect(unanswered).toMatchObject({
      code: 1,
      out: 'pump-actions/flush on pump/p-404: no response within 1 s (the device may not exist, or may not support pump-actions)\n',
      err: 'fieldline: warning: device pump/p-404 is not in the workspace; sending pump-actions/flush anyway\n',
    })

    expect((await run(['dm', 'remove', 'pump-actions'])).code).toBe(0)
    expect((await run(['dm', 'show', 'pump-actions'])).code).toBe(1)
  })

  it.skipIf(noOpenssl)('invokes over TLS to a broker of a private CA given by FIELDLINE_MQTT_CA_FILE, and refuses without it', async () => {
    const file = join(dir, 'pump.json')
    await writeFile(file, PACKAGE)
    expect((await run(['dm', 'add', file, '--replace'])).code).toBe(0)
    const ca = join(dir, 'broker-ca.pem')
    await writeFile(ca, cert!.cert)
    const invoke = ['dm', 'invoke', '--type', 'pump', '--id', 'p-9', 'pump-actions/flush', '--timeout', '10']
    const tls = { FIELDLINE_MQTT_URL: broker.tlsUrl! }

    const untrusted = await run(invoke, tls)
    expect(untrusted).toMatchObject({ code: 1, out: '' })
    expect(untrusted.err).toMatch(/certificate/i)
    expect(await run(invoke, { ...tls, FIELDLINE_MQTT_CA_FILE: file })).toMatchObject({
      code: 2,
      out: '',
      err: `fieldline: FIELDLINE_MQTT_CA_FILE: ${file}: The custom CA must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)\n`,
    })
    expect(await run(invoke, { ...tls, FIELDLINE_MQTT_CA_FILE: ca })).toMatchObject({ code: 0, out: 'pump-actions/flush on pump/p-9: rc 202 (accepted)\n' })
  })
})
