/**
 * A ledger target the core refuses for its ABI or its TLS CA, in English and in French: the refusal is said at the field
 * it is about and that field has the focus, as for the contract address and the keys, rather than at the form's foot
 * far from what is wrong (cold trial: "The ABI is not valid (line 1, column 2)" showed under the signer key); nothing
 * is saved. The core refuses both before it contacts any node, so no peer is needed.
 */
import { generatePrivateKey } from 'viem/accounts'
import type { Locator, Page } from '@playwright/test'
import { expect, test } from './fixtures'
import { LANGUAGES, navigate, switchLanguage, words, type Language, type Words } from './words'

for (const language of LANGUAGES) {
  test(`${language}: an ABI that is not JSON and a TLS CA that is not PEM are refused at their fields, and nothing is saved`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    const { card, dialog } = await openAddTarget(page, t, language)

    await saveEvmTarget(dialog, t, { rpcUrl: 'http://127.0.0.1:8545', abi: '{not json' })
    const abi = dialog.getByLabel(t('ledger.ui.target.abi'))
    await expect(abi).toBeFocused()
    await expect(abi).toHaveAccessibleDescription(new RegExp(`^${literal(t('ledger.abi.invalidAt', { line: 1, column: 2 }))}`))

    await dialog.getByLabel(t('ledger.ui.target.kind')).selectOption('fabric')
    await dialog.getByLabel(t('ledger.ui.target.endpoint')).fill('127.0.0.1:7051')
    await dialog.getByLabel(t('ledger.ui.target.tlsCa')).fill('not a certificate')
    await dialog.getByLabel(t('ledger.ui.target.mspId')).fill('Org1MSP')
    await dialog.getByLabel(t('ledger.ui.target.certificate')).fill('not a certificate either')
    await dialog.getByLabel(t('ledger.ui.target.privateKey')).fill('not a key')
    await dialog.getByLabel(t('ledger.ui.target.channel')).fill('mychannel')
    await dialog.getByLabel(t('ledger.ui.target.chaincode')).fill('basic')
    await dialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
    const tlsCa = dialog.getByLabel(t('ledger.ui.target.tlsCa'))
    await expect(tlsCa).toBeFocused()
    await expect(tlsCa).toHaveAccessibleDescription(new RegExp(`^${literal(t('errors.invalidCa'))}`))

    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()
    await expect(card.getByText(t('ledger.ui.card.noTargets'))).toBeVisible()
  })

  test(`${language}: an RPC URL with a user name and password in it is refused at its field, and nothing is saved`, async ({ app }) => {
    const { page } = app
    const t = words(language)
    const { card, dialog } = await openAddTarget(page, t, language)

    // Cold trial: the core's refusal showed at the form's foot, the URL field neither marked nor focused.
    await saveEvmTarget(dialog, t, { rpcUrl: 'http://ops:hunter2@127.0.0.1:8545', abi: '[]' })
    const rpcUrl = dialog.getByLabel(t('ledger.ui.target.rpcUrl'))
    await expect(rpcUrl).toBeFocused()
    await expect(rpcUrl).toHaveAttribute('aria-invalid', 'true')
    // An accessible description's spaces are plain ones: the French no-break space before ';' comes out as one.
    await expect(rpcUrl).toHaveAccessibleDescription(new RegExp(`^${literal(t('errors.urlHasCredentials')).replace(/\s/g, '\\s')}`))

    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()
    await expect(card.getByText(t('ledger.ui.card.noTargets'))).toBeVisible()
  })
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Extensions → Ledger → Add target, in `language`: the ledger card and the dialog. */
async function openAddTarget(page: Page, t: Words, language: Language): Promise<{ card: Locator; dialog: Locator }> {
  await switchLanguage(page, language)
  await navigate(page, t, 'extensions')
  const card = page.getByRole('region', { name: t('ledger.ui.card.title') })
  await card.getByRole('button', { name: t('ledger.ui.card.addTarget') }).click()
  return { card, dialog: page.getByRole('dialog', { name: t('ledger.ui.target.addTitle') }) }
}

/** Fills an EVM target (a fresh signer key, the rest plausible) with this RPC URL and ABI, and saves it. */
async function saveEvmTarget(dialog: Locator, t: Words, { rpcUrl, abi }: { rpcUrl: string; abi: string }): Promise<void> {
  await dialog.getByLabel(t('ledger.ui.target.name'), { exact: true }).fill('Chain')
  await dialog.getByLabel(t('ledger.ui.target.rpcUrl')).fill(rpcUrl)
  await dialog.getByLabel(t('ledger.ui.target.chainId')).fill('31337')
  await dialog.getByLabel(t('ledger.ui.target.contract')).fill('0x0000000000000000000000000000000000000001')
  await dialog.getByLabel(t('ledger.ui.target.abi')).fill(abi)
  await dialog.getByLabel(t('ledger.ui.target.signerKey')).fill(generatePrivateKey())
  await dialog.getByRole('button', { name: t('ledger.ui.target.save') }).click()
}
