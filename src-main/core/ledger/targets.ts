/**
 * Ledger targets: where forwarded calls go (an EVM contract or a Fabric chaincode), with the signing key in the vault
 * (`ledger-target:<id>/signerKey` or `/privateKey`). Settings are checked and normalised before anything is written:
 * the RPC URL's transport, the checksummed contract address, the ABI with line and column, PEM certificates. A key is
 * checked by parsing it, and an error about it never repeats it.
 */
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto'
import type { z } from 'zod'
import { LEDGER_SECRETS, type LedgerTarget, type LedgerTargetSettings, type ledgerTargetSaveSchema } from '../../../src-shared/models/ledger'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import { parseCaBundle } from '../http/trust'
import type { Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { secretAccount, type SecretStore } from '../vault/secret-store'
import { parseAbiOrThrow } from './abi'
import { getTarget, idOf, listTargets, TARGET_PREFIX, targetDocId, writeAudited, type TargetDoc } from './ledger.store'

export type TargetSave = z.output<typeof ledgerTargetSaveSchema>

/** viem (and the EVM adapter) load when an EVM target is saved, not in every process that opens the core. */
export async function normaliseSettings(settings: LedgerTargetSettings): Promise<LedgerTargetSettings> {
  if (settings.kind === 'evm') {
    const { assertRpcUrl, checksumAddress } = await import('./evm.adapter')
    assertRpcUrl(settings.rpcUrl)
    parseAbiOrThrow(settings.abi)
    return { ...settings, contract: checksumAddress(settings.contract) }
  }
  parseCaBundle([settings.tlsCa])
  try {
    new X509Certificate(settings.certificate)
  } catch {
    throw AppError.withRef('VALIDATION', 'The certificate is not a PEM X.509 certificate', { key: 'ledger.badCertificate' })
  }
  return settings
}

/** The address of an EVM signer key; the error never names the key. */
export async function signerAddress(key: string): Promise<string> {
  const { privateKeyToAccount } = await import('viem/accounts')
  try {
    return privateKeyToAccount((key.startsWith('0x') ? key : `0x${key}`) as `0x${string}`).address
  } catch {
    throw AppError.withRef('VALIDATION', 'The signer key is not a 32-byte hex private key', { key: 'ledger.badSignerKey' })
  }
}

/** The key parses, and it is the certificate's: a mismatch would only show later as the ledger's "access denied". */
function checkFabricKey(pem: string, certificate: string): void {
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    throw AppError.withRef('VALIDATION', 'The private key is not a PEM private key', { key: 'ledger.badPrivateKey' })
  }
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' })
  if (!spki(createPublicKey(key)).equals(spki(new X509Certificate(certificate).publicKey))) {
    throw AppError.withRef('VALIDATION', 'The private key does not belong to the certificate', { key: 'ledger.keyCertMismatch' })
  }
}

export function toTarget(doc: TargetDoc & { signer?: string | null }): LedgerTarget {
  const set = new Set(doc.secretFields)
  return {
    id: idOf(doc, TARGET_PREFIX),
    name: doc.name,
    settings: doc.settings,
    secrets: { signerKey: set.has('signerKey'), privateKey: set.has('privateKey') },
    signer: doc.signer ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export function targetNotFound(id: string): AppError {
  return AppError.withRef('NOT_FOUND', `There is no ledger target "${id}"`, { key: 'ledger.targetNotFound', params: { id } })
}

function slug(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return `${base || 'target'}-${randomBytes(2).toString('hex')}`
}

export function createTargets(deps: { db: Db; vault: SecretStore; changed: () => void }) {
  const { db, vault } = deps
  const account = (doc: Pick<TargetDoc, '_id'>, field: string) => secretAccount(doc._id, field)

  return {
    async list(): Promise<LedgerTarget[]> {
      return (await listTargets(db)).map(toTarget)
    },

    async get(id: string): Promise<TargetDoc & { _rev: string; signer?: string | null }> {
      const doc = await getTarget(db, id)
      if (!doc) throw targetNotFound(id)
      return doc
    },

    async secret(doc: TargetDoc, field: 'signerKey' | 'privateKey'): Promise<string | null> {
      return doc.secretFields.includes(field) ? vault.get(account(doc, field)) : null
    },

    async save(input: TargetSave, ctx: CallContext): Promise<LedgerTarget> {
      const existing = input.id ? await getTarget(db, input.id) : null
      if (input.id && !existing) throw targetNotFound(input.id)
      if (existing && existing.settings.kind !== input.settings.kind) {
        throw AppError.withRef('VALIDATION', 'A target cannot change between EVM and Fabric; add a new one', { key: 'ledger.kindChange' })
      }
      const settings = await normaliseSettings(input.settings)
      const field = LEDGER_SECRETS[settings.kind][0]
      const other = settings.kind === 'evm' ? 'privateKey' : 'signerKey'
      if (input.secrets[other] !== undefined) throw AppError.withRef('VALIDATION', `A ${settings.kind} target has no ${other}`, { key: 'ledger.wrongSecret', params: { field: other } })
      const value = input.secrets[field]
      let signer = (existing as { signer?: string | null } | null)?.signer ?? null
      if (typeof value === 'string') {
        if (settings.kind === 'evm') signer = await signerAddress(value.trim())
        else checkFabricKey(value, settings.certificate)
      } else if (value === null) signer = null
      else if (settings.kind === 'fabric' && existing?.settings.kind === 'fabric' && existing.settings.certificate !== settings.certificate) {
        // A new certificate for the key already in the vault.
        const kept = await this.secret(existing, 'privateKey')
        if (kept) checkFabricKey(kept, settings.certificate)
      }
      const secretFields = new Set(existing?.secretFields ?? [])
      if (typeof value === 'string') secretFields.add(field)
      else if (value === null) secretFields.delete(field)
      const id = input.id ?? slug(input.name)
      const now = new Date().toISOString()
      const doc: TargetDoc & { signer: string | null } = {
        _id: targetDocId(id),
        ...(existing ? { _rev: existing._rev } : {}),
        kind: 'ledgerTarget',
        schemaVersion: CURRENT_SCHEMA.ledgerTarget,
        name: input.name,
        settings,
        secretFields: [...secretFields].sort(),
        signer,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }
      // The key first: if the keychain refuses, nothing in the workspace claims a key that is not there.
      if (typeof value === 'string') await vault.set(account(doc, field), settings.kind === 'evm' ? value.trim() : value)
      else if (value === null) await vault.clear(account(doc, field))
      const summary = (d: TargetDoc & { signer?: string | null }) => ({
        name: d.name,
        settings: { ...d.settings, ...(d.settings.kind === 'evm' ? { abi: `${d.settings.abi.length} characters` } : {}) },
        secretsSet: d.secretFields,
        signer: d.signer ?? null,
      })
      await writeAudited(db, doc, {
        at: now,
        actor: ctx.actor,
        action: existing ? 'ledger.target.update' : 'ledger.target.add',
        target: `ledger/${id}`,
        outcome: 'ok',
        ...(existing ? { before: summary(existing) } : {}),
        after: summary(doc),
      })
      deps.changed()
      return toTarget(doc)
    },

    async remove(id: string, ctx: CallContext, inUse: boolean): Promise<{ removed: true }> {
      const doc = await this.get(id)
      if (inUse) throw AppError.withRef('CONFLICT', `Routes still send to "${doc.name}": remove them first`, { key: 'ledger.targetInUse', params: { name: doc.name } })
      for (const field of doc.secretFields) await vault.clear(account(doc, field))
      const now = new Date().toISOString()
      await writeAudited(
        db,
        { _id: doc._id, _rev: doc._rev, _deleted: true },
        { at: now, actor: ctx.actor, action: 'ledger.target.remove', target: `ledger/${id}`, outcome: 'ok', before: { name: doc.name, kind: doc.settings.kind } },
      )
      deps.changed()
      return { removed: true }
    },
  }
}

export type Targets = ReturnType<typeof createTargets>
