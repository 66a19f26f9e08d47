/**
 * The ledger room's Fabric adapter end to end, through the core's channels as the UI and the CLI use them, against the
 * Fabric test peer (test/peers/fabric/: the Gateway and Deliver services of Fabric 2.5 over TLS, docs/wire/ledger.md
 * §1.5). A real Fabric network is untested here: none can be installed on the build machines, so this proves the
 * adapter against the wire, protobuf and refusals of the Gateway as the peer reproduces them, not against Fabric.
 */
import { common, peer } from '@hyperledger/fabric-protos'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFabricAdapter } from '../../src-main/core/ledger/fabric.adapter'
import type { Submission } from '../../src-main/core/ledger/ledger-adapter'
import type { ItemDoc } from '../../src-main/core/ledger/ledger.store'
import { listAudit } from '../../src-main/core/store/audit.store'
import { createMemoryStore } from '../../src-main/core/vault/memory.store'
import type { FabricTargetSettings } from '../../src-shared/models/ledger'
import { tempDir, testCore } from '../helpers/core'
import { fabricTarget, FAST_LEDGER, sample, watsonRoute, type FabricIdentity } from '../helpers/ledger'
import { missingService } from '../helpers/system'
import { startFabricPeer, type FabricPeer } from '../peers/fabric/fabric.peer'
import { makeFabricPki, opensslMissing, type FabricPki } from '../peers/fabric/pki'

const POLL = { timeout: 20_000, interval: 20 }
type TestCore = Awaited<ReturnType<typeof testCore>>

describe.skipIf(missingService('openssl', opensslMissing()))('Fabric targets against the Fabric test peer', () => {
  let pki: FabricPki
  let fabric: FabricPeer
  let user: FabricIdentity
  const cleanups: (() => Promise<unknown>)[] = []

  beforeAll(async () => {
    pki = await makeFabricPki()
    fabric = await startFabricPeer({ pki })
    user = { mspId: fabric.mspId, ...pki.user }
  })
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined)
    await fabric?.close()
    await pki?.cleanup()
  })

  async function core(): Promise<TestCore> {
    const tmp = await tempDir()
    const c = await testCore(tmp.dir, { ledgerTimings: FAST_LEDGER, vault: createMemoryStore() })
    cleanups.push(
      () => tmp.cleanup(),
      () => c.close(),
    )
    return c
  }

  const settings = (identity: FabricIdentity): FabricTargetSettings => ({
    kind: 'fabric',
    endpoint: fabric.endpoint,
    tlsCa: pki.tlsCa,
    hostnameOverride: '',
    mspId: identity.mspId,
    certificate: identity.cert,
    channel: fabric.channel,
    chaincode: fabric.chaincode,
  })

  function adapter(identity = user) {
    const a = createFabricAdapter({ settings: settings(identity), privateKey: identity.key })
    cleanups.push(() => a.close())
    return a
  }

  const invalidTxIds = (code: number) =>
    fabric.store.blocks.flatMap((block) => {
      const codes = block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]!
      return block
        .getData()!
        .getDataList_asU8()
        .flatMap((bytes, i) => {
          if (codes[i] !== code) return []
          const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8())
          return [common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId()]
        })
    })

  it('keeps the private key in the vault, checks the PEMs and that the key is the certificate’s, and verifies the target', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const [saved] = (await c.call('ledger:targets', {})).items
    expect(saved).toMatchObject({ id: targetId, secrets: { privateKey: true, signerKey: false }, settings: { kind: 'fabric', mspId: 'Org1MSP' } })
    expect(JSON.stringify(await c.call('ledger:targets', {}))).not.toContain(pki.user.key.split('\n')[1])
    const audit = await listAudit(c.workspace.db, { query: 'ledger.target', offset: 0, limit: 10 })
    expect(JSON.stringify(audit.items)).not.toContain(pki.user.key.split('\n')[1])

    const save = (patch: Partial<FabricTargetSettings>, privateKey: string) =>
      c.dispatcher.invoke('ledger:saveTarget', { name: 'bad', settings: { ...settings(user), ...patch }, secrets: { privateKey } })
    expect(await save({}, pki.stranger.key)).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { ref: { key: 'ledger.keyCertMismatch' } } } })
    expect(await save({ certificate: 'not a certificate' }, pki.user.key)).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.badCertificate' } } } })
    expect(await save({}, 'not a key')).toMatchObject({ ok: false, error: { details: { ref: { key: 'ledger.badPrivateKey' } } } })
    // A new certificate for the key kept in the vault is checked against that key too.
    expect(await c.dispatcher.invoke('ledger:saveTarget', { id: targetId, name: 'fabric', settings: { ...settings(user), certificate: pki.stranger.cert }, secrets: {} })).toMatchObject({
      ok: false,
      error: { details: { ref: { key: 'ledger.keyCertMismatch' } } },
    })
    expect(await c.call('ledger:verifyTarget', { targetId })).toMatchObject({ kind: 'fabric', network: 'mychannel', healthy: true, signer: 'Org1MSP' })
  })

  it('refuses a wrong MSP id or a certificate from another CA clearly, before and after anything is queued', async () => {
    const c = await core()
    const otherMsp = await fabricTarget(c.call, fabric, pki.tlsCa, { ...user, mspId: 'Org2MSP' }, 'org2')
    const stranger = await fabricTarget(c.call, fabric, pki.tlsCa, { mspId: 'Org1MSP', ...pki.stranger }, 'stranger')
    expect(await c.dispatcher.invoke('ledger:verifyTarget', { targetId: otherMsp })).toMatchObject({
      ok: false,
      error: {
        code: 'AUTH_FAILED',
        details: { ref: { key: 'ledger.accessDenied', params: { detail: 'error validating proposal: access denied: channel [mychannel] creator org unknown, creator is malformed' } } },
      },
    })
    expect(await c.dispatcher.invoke('ledger:describe', { targetId: stranger })).toMatchObject({
      ok: false,
      error: { code: 'AUTH_FAILED', details: { ref: { key: 'ledger.accessDenied', params: { detail: 'error validating proposal: access denied: channel [mychannel] creator org [Org1MSP]' } } } },
    })
    const routeId = await watsonRoute(c.call, stranger, 'json')
    await c.call('ledger:submit', { routeId, sample: sample('DENIED'), eventKey: 'denied-1' })
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'failed', limit: 5 })).items[0]?.lastError?.name, POLL).toBe('AccessDenied')
    // A peer out of reach is a state, not a refusal by the ledger; a stopped peer refuses the connection, and Verify says so.
    await fabric.stop()
    try {
      expect(await c.dispatcher.invoke('ledger:verifyTarget', { targetId: otherMsp })).toMatchObject({ ok: false, error: { code: 'NETWORK', details: { ref: { key: 'ledger.ui.refused' } } } })
    } finally {
      await fabric.start()
    }
  })

  it('describes the chaincode from readAssetSchemas and previews: the JSON string, positional strings, and a dry run refused by name', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const description = await c.call('ledger:describe', { targetId })
    expect(description.functions.map((f) => [f.name, f.mutates, f.inputs.map((i) => i.name)])).toEqual([
      ['updateAsset', true, ['assetID', 'temperature', 'carrier', 'location']],
      ['readAsset', false, ['assetID']],
      ['updateTemperature', true, ['assetID', 'temperature']],
    ])
    const json = await watsonRoute(c.call, targetId, 'json')
    const positional = await watsonRoute(c.call, targetId, 'positional')
    const submitsBefore = fabric.calls.get('Submit') ?? 0
    const preview = await c.call('ledger:preview', { route: json, sample: sample('F-1', { temp: 21.5 }), dryRun: true })
    expect(JSON.parse(preview.encoded!)).toEqual({ assetID: 'F-1', temperature: 21.5, carrier: 'jasper', location: { latitude: 48.8566, longitude: 2.3522 } })
    expect(preview.dryRun).toMatchObject({ ok: true })
    expect(JSON.parse((preview.dryRun as { result: string }).result)).toMatchObject({ assetID: 'F-1', temperature: 21.5 })
    const strings = await c.call('ledger:preview', { route: positional, sample: sample('F-1', { temp: 19 }), dryRun: true })
    expect(JSON.parse(strings.encoded!)).toEqual(['F-1', '19'])
    const refused = await c.call('ledger:preview', { route: json, sample: sample(''), dryRun: true })
    expect(refused.dryRun).toMatchObject({ ok: false, error: { code: 'FABRIC', name: 'ChaincodeError', message: 'assetID is mandatory', args: ['500', 'UNKNOWN'] } })
    // A dry run is an evaluate: nothing was ordered.
    expect(fabric.calls.get('Submit') ?? 0).toBe(submitsBefore)
  })

  it('submits one JSON string and positional strings once each, and reads back the transaction, the asset and its history', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const json = await watsonRoute(c.call, targetId, 'json')
    const positional = await watsonRoute(c.call, targetId, 'positional')
    const before = fabric.validInvocations('updateAsset')
    await c.call('ledger:submit', { routeId: json, sample: sample('S-1', { temp: 4.25 }), eventKey: 'evt-1' })
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'committed', limit: 5 })).items.length, POLL).toBe(1)
    await c.call('ledger:submit', { routeId: positional, sample: sample('S-1', { temp: 5.5 }), eventKey: 'evt-2' })
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'committed', limit: 5 })).items.length, POLL).toBe(2)
    expect(fabric.validInvocations('updateAsset') - before).toBe(1)
    const [second, first] = (await c.call('ledger:queue', { state: 'committed', limit: 5 })).items
    const tx = await c.call('ledger:tx', { targetId, txId: first!.txId! })
    expect(tx).toMatchObject({ id: first!.txId, status: 'VALID', function: 'updateAsset', block: first!.block })
    expect(JSON.parse(tx.args[0]!.value)).toMatchObject({ assetID: 'S-1', temperature: 4.25 })
    expect(tx.events).toMatchObject([{ name: 'assetUpdated', args: { assetID: 'S-1', temperature: '4.25' } }])
    expect((await c.call('ledger:tx', { targetId, txId: second!.txId! })).args.map((a) => a.value)).toEqual(['S-1', '5.5'])
    expect(await c.dispatcher.invoke('ledger:tx', { targetId, txId: 'f'.repeat(64) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { ref: { key: 'ledger.txNotFound' } } } })

    const asset = await c.call('ledger:asset', { targetId, assetId: 'S-1' })
    expect(asset.state).toEqual({ assetID: 'S-1', temperature: 5.5, carrier: 'jasper', location: { latitude: 48.8566, longitude: 2.3522 } })
    expect(asset.history.map((h) => h.txId)).toEqual([first!.txId, second!.txId])
    expect((await c.call('ledger:asset', { targetId, assetId: 'NOPE' })).state).toBeNull()
    const head = await c.call('ledger:head', { targetId })
    expect(head.height).toBe(String(fabric.store.height))
    const blocks = await c.call('ledger:blocks', { targetId, count: 3 })
    expect(blocks.items.map((b) => Number(b.number))).toEqual([fabric.store.height - 1, fabric.store.height - 2, fabric.store.height - 3])
    expect(blocks.items.every((b) => b.time !== null && b.txCount >= 1)).toBe(true)
  })

  it('endorses again a transaction invalidated by MVCC_READ_CONFLICT, which shows in its detail, and commits the event once', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const routeId = await watsonRoute(c.call, targetId, 'json')
    const conflictsBefore = invalidTxIds(peer.TxValidationCode.MVCC_READ_CONFLICT).length
    // Both endorsed on the same state and ordered into one block: the second read a version the first changes.
    fabric.holdBlocks()
    await c.call('ledger:submit', { routeId, sample: sample('MV-1', { temp: 1 }), eventKey: 'mv-1' })
    await c.call('ledger:submit', { routeId, sample: sample('MV-1', { temp: 2 }), eventKey: 'mv-2' })
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'submitted', limit: 5 })).items.length, POLL).toBe(2)
    fabric.releaseBlocks()
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'committed', limit: 5 })).items.length, POLL).toBe(2)
    const conflicts = invalidTxIds(peer.TxValidationCode.MVCC_READ_CONFLICT).slice(conflictsBefore)
    expect(conflicts).toHaveLength(1)
    expect(await c.call('ledger:tx', { targetId, txId: conflicts[0]! })).toMatchObject({ status: 'MVCC_READ_CONFLICT' })
    expect((await c.call('ledger:asset', { targetId, assetId: 'MV-1' })).history).toHaveLength(2)
    const mv2 = (await c.workspace.db.get('ledger-item:' + routeId + ':mv-2')) as unknown as ItemDoc
    expect(mv2.submission?.txId).not.toBe(conflicts[0])
  })

  it('reports a transaction committed with a validation code that cannot be retried by name', async () => {
    const a = adapter()
    const call = { fn: 'updateAsset', style: 'json' as const, args: [{ parameter: 'assetID', value: 'T-1' }] }
    const prepared = await a.prepare(call, null)
    // The endorsed transaction altered after endorsement: the peer's signature no longer covers what is ordered.
    const tx = Buffer.from(prepared.signed, 'base64')
    const marker = Buffer.from('"T-1"')
    const at = tx.indexOf(marker, tx.lastIndexOf(Buffer.from('assetUpdated')))
    expect(at).toBeGreaterThan(0)
    tx.write('"T-2"', at)
    const tampered = { ...prepared, signed: tx.toString('base64') }
    expect(await a.send(tampered)).toEqual({ kind: 'sent' })
    await expect.poll(async () => (await a.commitStatus(tampered)).kind, POLL).not.toBe('pending')
    const outcome = await adapter().commitStatus(tampered)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'ENDORSEMENT_POLICY_FAILURE' } })
  })

  it('reads events a bounded page at a time and resumes after a checkpoint within a block', async () => {
    const a = adapter()
    const from = BigInt(fabric.store.height)
    fabric.holdBlocks()
    const subs: Submission[] = []
    for (const id of ['P-1', 'P-2']) {
      const s = await a.prepare({ fn: 'updateAsset', style: 'json', args: [{ parameter: 'assetID', value: id }] }, null)
      expect(await a.send(s)).toEqual({ kind: 'sent' })
      subs.push(s)
    }
    fabric.releaseBlocks()
    await expect.poll(async () => (await a.commitStatus(subs[1]!)).kind, POLL).toBe('committed')
    const page = await a.events(from)
    expect(page.items.map((e) => [e.args.assetID, e.index])).toEqual([
      ['P-1', 0],
      ['P-2', 1],
    ])
    expect(page.done).toBe(true)
    const afterFirst = await a.events(from, { block: page.items[0]!.block, index: 0 })
    expect(afterFirst.items.map((e) => e.args.assetID)).toEqual(['P-2'])
    const empty = await a.events(from, page.checkpoint)
    expect(empty).toMatchObject({ items: [], done: true })
    const p3 = await a.prepare({ fn: 'updateAsset', style: 'json', args: [{ parameter: 'assetID', value: 'P-3' }] }, null)
    await a.send(p3)
    await expect.poll(async () => (await a.commitStatus(p3)).kind, POLL).toBe('committed')
    expect((await a.events(from, empty.checkpoint)).items.map((e) => e.args.assetID)).toEqual(['P-3'])
  })

  it('forwards through a peer restart: the queue waits while the peer is away and commits once it is back', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const routeId = await watsonRoute(c.call, targetId, 'json')
    const before = fabric.validInvocations('updateAsset')
    await fabric.stop()
    try {
      await c.call('ledger:submit', { routeId, sample: sample('R-1'), eventKey: 'r-1' })
      await expect.poll(async () => (await c.call('ledger:queue', { limit: 5 })).items[0]?.lastError?.name, POLL).toBe('Refused')
      expect((await c.call('ledger:queue', { limit: 5 })).items[0]?.state).toBe('pending')
    } finally {
      await fabric.start()
    }
    await expect.poll(async () => (await c.call('ledger:queue', { state: 'committed', limit: 5 })).items.length, POLL).toBe(1)
    expect(fabric.validInvocations('updateAsset') - before).toBe(1)
  })

  it('shows the latest blocks live from the Deliver service', async () => {
    const c = await core()
    const targetId = await fabricTarget(c.call, fabric, pki.tlsCa, user)
    const seen: string[] = []
    const stop = c.bus.subscribe((event, payload) => {
      if (event === 'ledger:block') seen.push((payload as { block: { number: string } }).block.number)
    })
    try {
      await c.call('ledger:watch', { targetId, on: true })
      const a = adapter()
      const s = await a.prepare({ fn: 'updateAsset', style: 'json', args: [{ parameter: 'assetID', value: 'L-1' }] }, null)
      await a.send(s)
      await expect.poll(async () => (await a.commitStatus(s)).kind, POLL).toBe('committed')
      await expect.poll(() => seen.length, POLL).toBeGreaterThan(0)
      expect(Number(seen.at(-1))).toBe(fabric.store.height - 1)
    } finally {
      stop()
      await c.call('ledger:watch', { targetId, on: false })
    }
  })
})
