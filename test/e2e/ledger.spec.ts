/**
 * Blockchain forwarding end to end, through the UI, in English and in French: Foundry's anvil (test/peers/evm/anvil.ts)
 * with the test contract compiled by solc-js at test time; an EVM target whose ABI is loaded from a file and checked,
 * whose signer key goes to the OS keychain (only its address is shown) and which is verified against the node; a route
 * that maps a tracker's status event to updateAsset, written in the route editor (rows moved with the keyboard),
 * previewed and dry-run from a pasted sample (a revert decoded by name, then a good call); forwarding started from the
 * card; a device event published on Debian's mosquitto; and the committed item, its block, its transaction and the
 * asset's state and history seen in the ledger monitor. Needs a D-Bus session with an unlocked keyring (.ci/run).
 */
import { privateKeyToAccount } from 'viem/accounts'
import mqtt from 'mqtt'
import type { Hex } from 'viem'
import { sample } from '../helpers/ledger'
import { mosquittoSkipReason, startMosquitto, type Mosquitto } from '../helpers/mosquitto'
import { missingService } from '../helpers/system'
import { deployAssetTracker, fundedKey, startAnvil, type Anvil } from '../peers/evm/anvil'
import { startFabricPeer } from '../peers/fabric/fabric.peer'
import { makeFabricPki, opensslMissing } from '../peers/fabric/pki'
import { expect, test } from './fixtures'
import { skipWithoutKeyring } from './steps'
import { LANGUAGES, addPlatform, navigate, switchLanguage, words } from './words'

let broker: Mosquitto | undefined
let anvil: Anvil | undefined
let contract: { address: Hex; abiText: string } | undefined
let key: Hex | undefined

test.beforeEach(async () => {
  const reason = mosquittoSkipReason()
  test.skip(reason !== null, reason ?? '')
  skipWithoutKeyring()
  broker = await startMosquitto()
  anvil = await startAnvil()
  contract = await deployAssetTracker(anvil.url)
  key = await fundedKey(anvil.url)
})

test.afterEach(async () => {
  await anvil?.close()
  await broker?.stop()
})

/** The text of a message up to its first argument: what stays the same whatever the node answers after it. */
function before(message: string): string {
  return message.split('\u0000')[0]!
}

for (const language of LANGUAGES) {
  test(`${language}: configure an EVM target on anvil, map a device event, preview and dry-run, forward, see the item, the block and the asset`, async ({ app }) => {
    test.setTimeout(150_000)
    const { page } = app
    const t = words(language)
    const signer = privateKeyToAccount(key!).address
    const assetId = `E2E-${language}`
    await switchLanguage(page, language)
    await navigate(page, t, 'extensions')
    await addPlatform(page, t, broker!.url)

    // The target: its ABI from a compiler's artifact, checked by the core; the key only as its address afterwards.
    const card = page.getByRole('region', { name: t('ledger.ui.card.title') })
    await expect(card.getByText(t('ledger.ui.card.noTargets'))).toBeVisible()
    await card.getByRole('button', { name: t('ledger.ui.card.addTarget') }).click()
    const targetDialog = page.getByRole('dialog', { name: t('ledger.ui.target.addTitle') })
    await targetDialog.getByLabel(t('ledger.ui.target.name'), { exact: true }).fill('Anvil')
    await targetDialog.getByLabel(t('ledger.ui.target.rpcUrl')).fill(anvil!.url)
    await targetDialog.getByLabel(t('ledger.ui.target.chainId')).fill('31337')
    await targetDialog.getByLabel(t('ledger.ui.target.contract')).fill(contract!.address)
    await targetDialog.getByLabel(t('ledger.ui.target.abiFileInput'), { exact: true }).setInputFiles({
      name: 'AssetTracker.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ contractName: 'AssetTracker', abi: JSON.parse(contract!.abiText) })),
    })
    await expect(targetDialog.getByRole('status')).toHaveText(t('ledger.ui.target.abiValid', { count: 1 }))
    // Saved without its key, the form names the missing key at its field.
    await targetDialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
    await expect(targetDialog.getByText(t('ledger.ui.target.signerKeyRequired'))).toBeVisible()
    await expect(targetDialog.getByLabel(t('ledger.ui.target.signerKey'))).toBeFocused()
    await page.keyboard.type(key!)
    await targetDialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
    await expect(targetDialog).toBeHidden()
    const target = card.getByRole('article', { name: 'Anvil' })
    await expect(target).toContainText(signer)
    await expect(page.getByText(key!)).toHaveCount(0)
    await target.getByRole('button', { name: t('ledger.ui.card.verify') }).click()
    await expect(target.getByRole('status')).toContainText(before(t('ledger.ui.card.verifiedEvm', { chain: '31337', height: '\u0000', signer: '', balance: '' })))
    await expect(target.getByRole('status')).toContainText(signer)
    // Edited, its kind stays and an empty key field keeps the saved key.
    await target.getByRole('button', { name: t('ledger.ui.card.edit') }).click()
    const editDialog = page.getByRole('dialog', { name: t('ledger.ui.target.editTitle') })
    await expect(editDialog.getByLabel(t('ledger.ui.target.kind'))).toBeDisabled()
    await expect(editDialog.getByLabel(t('ledger.ui.target.signerKey'))).toHaveValue('')
    await editDialog.getByLabel(t('ledger.ui.target.chainId')).fill('31337')
    await editDialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
    await expect(editDialog).toBeHidden()
    await expect(target).toContainText(signer)

    // The route: the function picked from the contract gives one row per parameter, filled with the keyboard.
    await card.getByRole('button', { name: t('ledger.ui.card.addRoute') }).click()
    const routeDialog = page.getByRole('dialog', { name: t('ledger.ui.route.addTitle') })
    await routeDialog.getByLabel(t('ledger.ui.route.name')).fill('Tracker status')
    await routeDialog.getByLabel(t('ledger.ui.route.deviceType')).fill('tracker')
    await routeDialog.getByLabel(t('ledger.ui.route.eventId'), { exact: true }).fill('status')
    await routeDialog.getByLabel(t('ledger.ui.route.eventIdPath')).fill('id')
    await routeDialog.getByLabel(t('ledger.ui.route.function')).selectOption({ label: 'updateAsset(string assetId, int256 temperatureMilli, string carrier, int256 latE6, int256 lonE6)' })
    const row = (n: number, parameter: string) => routeDialog.getByRole('group', { name: t('ledger.ui.route.row', { n, parameter }) })
    await expect(row(5, 'lonE6')).toBeVisible()
    const paths: [string, string, string][] = [
      ['assetId', 'd.assetId', '0'],
      ['temperatureMilli', 'd.temp', '3'],
      ['carrier', 'd.carrier', '0'],
      ['latE6', 'd.lat', '6'],
      ['lonE6', 'd.lon', '6'],
    ]
    for (const [i, [parameter, path, scale]] of paths.entries()) {
      const r = row(i + 1, parameter)
      await r.getByLabel(t('ledger.ui.route.path')).focus()
      await page.keyboard.type(path)
      await r.getByLabel(t('ledger.ui.route.scale')).fill(scale)
    }
    await row(3, 'carrier')
      .getByRole('checkbox', { name: t('ledger.ui.route.required') })
      .uncheck()
    await row(3, 'carrier').getByLabel(t('ledger.ui.route.default')).fill('unknown')
    // Alt+↓ moves a row down and Alt+↑ back, the focus staying with it.
    await row(1, 'assetId').getByLabel(t('ledger.ui.route.parameter')).focus()
    await page.keyboard.press('Alt+ArrowDown')
    await expect(row(2, 'assetId').getByLabel(t('ledger.ui.route.parameter'))).toBeFocused()
    await expect(row(1, 'temperatureMilli')).toBeVisible()
    await page.keyboard.press('Alt+ArrowUp')
    await expect(row(1, 'assetId').getByLabel(t('ledger.ui.route.parameter'))).toBeFocused()

    // Preview: an empty asset id is refused by the contract, by the error's name; a good sample dry-runs.
    const sampleField = routeDialog.getByLabel(t('ledger.ui.preview.sample'))
    const preview = routeDialog.getByRole('region', { name: t('ledger.ui.preview.title') })
    await sampleField.fill(sample(''))
    await preview.getByRole('button', { name: t('ledger.ui.preview.run') }).click()
    await expect(preview.getByRole('status')).toContainText(before(t('ledger.ui.preview.dryRunFailed', { reason: '\u0000' })))
    await expect(preview.getByRole('status')).toContainText('EmptyAssetId')
    await sampleField.fill(sample(assetId))
    await preview.getByRole('button', { name: t('ledger.ui.preview.run') }).click()
    // The contract's function returns nothing: said in words, not as « null ».
    await expect(preview.getByRole('status')).toContainText(t('ledger.ui.preview.dryRunOkNoValue'))
    const temperature = preview
      .getByRole('row', { name: /temperatureMilli/ })
      .getByRole('cell')
      .nth(1)
    await expect(temperature).toHaveText('21500')
    // Live: a transform changed in the rows shows in the preview without asking for it.
    await row(2, 'temperatureMilli').getByLabel(t('ledger.ui.route.scale')).fill('2')
    await expect(temperature).toHaveText('2150')
    await row(2, 'temperatureMilli').getByLabel(t('ledger.ui.route.scale')).fill('3')
    await expect(temperature).toHaveText('21500')
    await expect(preview.getByRole('status')).toContainText('0x')
    await routeDialog.getByRole('button', { name: t('ledger.ui.route.save') }).click()
    await expect(routeDialog).toBeHidden()
    await expect(card.getByRole('article', { name: 'Tracker status' })).toContainText(
      t('ledger.ui.card.routeSummary', { type: 'tracker', event: 'status', fn: 'updateAsset', target: 'Anvil', rows: 5 }),
    )
    // Its id, which `fieldline ledger submit` takes, is on the route and copied by its button (cold trial: the app
    // showed it nowhere).
    const routeArticle = card.getByRole('article', { name: 'Tracker status' })
    await expect(routeArticle).toContainText(t('ledger.ui.card.routeId'))
    const routeId = (await routeArticle.locator('code').textContent()) ?? ''
    expect(routeId).toMatch(/^tracker-status-[0-9a-f]{4}$/)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await routeArticle.getByRole('button', { name: t('ledger.ui.card.copyRouteId', { name: 'Tracker status' }) }).click()
    await expect(page.getByText(t('ledger.ui.card.copied', { id: routeId }))).toBeVisible()
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(routeId)
    // The target's id too, which `fieldline ledger tx --target` takes.
    const targetArticle = card.getByRole('article', { name: 'Anvil' })
    const targetId = (await targetArticle.locator('code').first().textContent()) ?? ''
    expect(targetId).not.toBe('')
    await targetArticle.getByRole('button', { name: t('ledger.ui.card.copyTargetId', { name: 'Anvil' }) }).click()
    await expect(page.getByText(t('ledger.ui.card.targetCopied', { id: targetId }))).toBeVisible()
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(targetId)

    // Forwarding on; a tracker's status event published on the broker.
    const forwarder = card.getByRole('region', { name: t('ledger.ui.forwarder.title') })
    await forwarder.getByRole('button', { name: t('ledger.ui.forwarder.start') }).click()
    await expect(forwarder.getByRole('status')).toContainText(t('ledger.ui.forwarder.running'))
    await expect(forwarder.getByRole('status')).toContainText(t('ledger.ui.forwarder.subscribed'))
    const device = await mqtt.connectAsync(broker!.url, { clientId: `d:org1:tracker:t-${language}` })
    try {
      await device.publishAsync('iot-2/type/tracker/id/t-1/evt/status/fmt/json', sample(assetId, { id: `ev-${language}` }), { qos: 1 })
      // One the contract refuses: it fails by the contract error's name.
      await device.publishAsync('iot-2/type/tracker/id/t-1/evt/status/fmt/json', sample('', { id: `bad-${language}` }), { qos: 1 })
    } finally {
      await device.endAsync()
    }

    // The monitor: the item committed, its transaction decoded, its block among the latest, the asset's state.
    await navigate(page, t, 'ledger')
    await expect(page.getByRole('heading', { level: 1, name: t('ledger.ui.monitor.title') })).toBeVisible()
    const queue = page.getByRole('table', { name: t('ledger.ui.queue.caption') })
    const item = queue.getByRole('row', { name: new RegExp(`ev-${language}`) })
    await expect(item).toContainText(t('ledger.ui.states.committed'))
    const inBlock = new RegExp(before(t('ledger.ui.queue.inBlock', { block: '\u0000' })) + '(\\d+)')
    const block = inBlock.exec((await item.textContent()) ?? '')?.[1]
    expect(block).toBeDefined()
    const blocks = page.getByRole('table', { name: t('ledger.ui.monitor.blocks') })
    await expect(blocks.getByRole('rowheader', { name: block!, exact: true })).toBeVisible()
    await expect(page.getByTestId('ledger-height')).not.toHaveText('')

    await item.getByRole('button', { name: new RegExp(before(t('ledger.ui.queue.showTx', { id: '\u0000' }))) }).click()
    const txSection = page.getByRole('region', { name: t('ledger.ui.monitor.txTitle') })
    await expect(txSection.getByRole('status')).toContainText('success')
    await expect(txSection.getByRole('status')).toContainText('updateAsset')
    await expect(txSection.getByRole('table', { name: t('ledger.ui.monitor.events') })).toContainText('AssetUpdated')

    const assetSection = page.getByRole('region', { name: t('ledger.ui.monitor.assetTitle') })
    await assetSection.getByLabel(t('ledger.ui.monitor.assetId')).fill(assetId)
    await assetSection.getByRole('button', { name: t('ledger.ui.monitor.showAsset') }).click()
    await expect(assetSection.getByRole('status')).toContainText('21500')
    await expect(assetSection.getByRole('table', { name: t('ledger.ui.monitor.history') })).toContainText('AssetUpdated')

    // The refused event: failed, with the contract's error by name; Retry sends it again (and it fails again).
    const bad = queue.getByRole('row', { name: new RegExp(`bad-${language}`) })
    await expect(bad).toContainText(t('ledger.ui.states.failed'))
    await expect(bad).toContainText('EmptyAssetId')
    await expect(bad.getByRole('cell').nth(2)).toHaveText('1')
    await bad.getByRole('button', { name: t('ledger.ui.queue.retry', { key: `bad-${language}` }) }).click()
    await expect(bad.getByRole('cell').nth(2)).toHaveText('2')
    await expect(bad).toContainText(t('ledger.ui.states.failed'))

    // Back in Extensions: forwarding stopped, the route removed after its confirmation.
    await navigate(page, t, 'extensions')
    await forwarder.getByRole('button', { name: t('ledger.ui.forwarder.stop') }).click()
    await expect(forwarder.getByRole('status')).toContainText(t('ledger.ui.forwarder.stopped'))
    await card
      .getByRole('article', { name: 'Tracker status' })
      .getByRole('button', { name: t('ledger.ui.card.remove') })
      .click()
    const confirm = page.getByRole('dialog', { name: t('ledger.ui.route.removeTitle', { name: 'Tracker status' }) })
    await expect(confirm.getByRole('button', { name: t('common.cancel') })).toBeFocused()
    await confirm.getByRole('button', { name: t('ledger.ui.card.remove') }).click()
    await expect(confirm).toBeHidden()
    await expect(card.getByRole('article', { name: 'Tracker status' })).toHaveCount(0)
    await expect(card.getByText(t('ledger.ui.card.noRoutes'))).toBeVisible()
  })
}

/**
 * A Fabric target through the same form, against the Fabric test peer (test/peers/fabric/: the Gateway of Fabric 2.5
 * over TLS; a real Fabric network is untested here): the PEM texts pasted, the private key into its password field
 * (which drops its line breaks), verified; a route sending one JSON string (Watson's updateAsset) previewed and
 * dry-run (evaluate).
 */
test('en: configure a Fabric target, verify it, and preview a JSON-string route with a dry run', async ({ app }) => {
  test.setTimeout(120_000)
  const openssl = opensslMissing()
  test.skip(missingService('openssl', openssl) !== null, openssl ?? '')
  const pki = await makeFabricPki()
  const fabric = await startFabricPeer({ pki })
  try {
    const { page } = app
    const t = words('en')
    await navigate(page, t, 'extensions')
    const card = page.getByRole('region', { name: t('ledger.ui.card.title') })
    await card.getByRole('button', { name: t('ledger.ui.card.addTarget') }).click()
    const dialog = page.getByRole('dialog', { name: t('ledger.ui.target.addTitle') })
    await dialog.getByLabel(t('ledger.ui.target.name'), { exact: true }).fill('Fabric lab')
    await dialog.getByLabel(t('ledger.ui.target.kind')).selectOption({ label: t('ledger.ui.kinds.fabric') })
    await dialog.getByLabel(t('ledger.ui.target.endpoint')).fill(fabric.endpoint)
    await dialog.getByLabel(t('ledger.ui.target.tlsCa'), { exact: true }).fill(pki.tlsCa)
    await dialog.getByLabel(t('ledger.ui.target.mspId')).fill(fabric.mspId)
    await dialog.getByLabel(t('ledger.ui.target.certificate'), { exact: true }).fill(pki.user.cert)
    await dialog.getByLabel(t('ledger.ui.target.privateKey'), { exact: true }).fill(pki.user.key)
    await dialog.getByLabel(t('ledger.ui.target.channel')).fill(fabric.channel)
    await dialog.getByLabel(t('ledger.ui.target.chaincode')).fill(fabric.chaincode)
    await dialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
    await expect(dialog).toBeHidden()
    const target = card.getByRole('article', { name: 'Fabric lab' })
    await expect(target).toContainText(t('ledger.ui.target.keySet'))
    await target.getByRole('button', { name: t('ledger.ui.card.verify') }).click()
    await expect(target.getByRole('status')).toContainText(before(t('ledger.ui.card.verifiedFabric', { channel: fabric.channel, height: '\u0000', msp: '' })))

    await card.getByRole('button', { name: t('ledger.ui.card.addRoute') }).click()
    const routeDialog = page.getByRole('dialog', { name: t('ledger.ui.route.addTitle') })
    await routeDialog.getByLabel(t('ledger.ui.route.name')).fill('Watson status')
    await routeDialog.getByLabel(t('ledger.ui.route.deviceType')).fill('tracker')
    await routeDialog.getByLabel(t('ledger.ui.route.eventId'), { exact: true }).fill('status')
    await expect(routeDialog.getByLabel(t('ledger.ui.route.argumentStyle'))).toHaveValue('json')
    await routeDialog.getByLabel(t('ledger.ui.route.function')).selectOption({ label: 'updateAsset(string assetID, number temperature, string carrier, object location)' })
    const row = (n: number, parameter: string) => routeDialog.getByRole('group', { name: t('ledger.ui.route.row', { n, parameter }) })
    await row(1, 'assetID').getByLabel(t('ledger.ui.route.path')).fill('d.assetId')
    await row(2, 'temperature').getByLabel(t('ledger.ui.route.path')).fill('d.temp')
    await row(2, 'temperature')
      .getByLabel(t('ledger.ui.route.type'))
      .selectOption({ label: t('ledger.ui.route.types.number') })
    await row(4, 'location')
      .getByRole('button', { name: t('ledger.ui.route.removeRow', { n: 4 }) })
      .click()
    await row(3, 'carrier')
      .getByRole('button', { name: t('ledger.ui.route.removeRow', { n: 3 }) })
      .click()
    await expect(routeDialog.getByRole('group', { name: /carrier|location/ })).toHaveCount(0)
    await routeDialog.getByLabel(t('ledger.ui.preview.sample')).fill(sample('F-1'))
    const preview = routeDialog.getByRole('region', { name: t('ledger.ui.preview.title') })
    await preview.getByRole('button', { name: t('ledger.ui.preview.run') }).click()
    await expect(preview.getByRole('status')).toContainText('{"assetID":"F-1","temperature":21.5}')
    await expect(preview.getByRole('status')).toContainText(before(t('ledger.ui.preview.dryRunOk', { result: '\u0000' })))
    await routeDialog.getByRole('button', { name: t('ledger.ui.route.save') }).click()
    await expect(routeDialog).toBeHidden()
    await expect(card.getByRole('article', { name: 'Watson status' })).toContainText(
      t('ledger.ui.card.routeSummary', { type: 'tracker', event: 'status', fn: 'updateAsset', target: 'Fabric lab', rows: 2 }),
    )
  } finally {
    await fabric.close()
    await pki.cleanup()
  }
})
