import { randomBytes } from 'node:crypto'
import type { z } from 'zod'
import {
  controlCenterSettingsSchema,
  mbedSettingsSchema,
  orangeSettingsSchema,
  platformSettingsSchema,
  PROFILE_SECRETS,
  type Profile,
  type ProfileExtension,
  type profileSaveSchema,
} from '../../../src-shared/models/profiles'
import { profileNameKey, secretProblems, type SecretProblemKey } from '../../../src-shared/models/profile-rules'
import { withDefaultScheme } from '../../../src-shared/models/transport-rules'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { EventBus } from '../common/events'
import { assertSecureUrl } from '../http/secure-url'
import { parseCaBundle } from '../http/trust'
import { linkSecurity, parseClientId } from '../platform/broker-url'
import { auditDoc } from '../store/audit.store'
import { listProfiles, newProfileDoc, profileDocId, getProfile, type ProfileDoc } from '../store/profiles.store'
import { assertBulkOk, type Db } from '../store/documents'
import { newTrashDoc, toTrashEntry } from '../store/trash.store'
import type { Output } from '../../../src-shared/contract'
import { secretAccount, type SecretStore } from '../vault/secret-store'
import { couchSettingsSchema, historianSettingsSchema, kafkaSettingsSchema, type CouchSettings } from '../../../src-shared/models/historian'
import { assertCouchLayoutKept, assertDestinationSecrets, normaliseCouchSettings, normaliseHistorianSettings, normaliseKafkaSettings } from './destination-settings'

export type ProfileSaveInput = z.output<typeof profileSaveSchema>

/** Vault accounts are `<profile document id>/<field>`, so two extensions' profiles never share a secret. */
export function profileSecretAccount(doc: Pick<ProfileDoc, '_id'>, field: string): string {
  return secretAccount(doc._id, field)
}

function slug(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return `${base || 'profile'}-${randomBytes(2).toString('hex')}`
}

/**
 * Accepts a bare host (the old "domain ID") as well as a URL; credentials go over https:// only. A refusal names
 * `field` when given (assertSecureUrl).
 */
export function normaliseBaseUrl(value: string, field?: string): string {
  const url = assertSecureUrl(withDefaultScheme(value), field)
  return url.href.replace(/\/+$/, '')
}

/** Checks and normalises a profile's settings; each kind has its own rules for where credentials may travel. */
function normaliseSettings(extension: ProfileExtension, settings: Record<string, unknown>): Record<string, unknown> {
  if (extension === 'jasper' || extension === 'atnt') {
    const s = controlCenterSettingsSchema.parse(settings)
    return { ...s, baseUrl: normaliseBaseUrl(s.baseUrl) }
  }
  if (extension === 'orange') {
    const s = orangeSettingsSchema.parse(settings)
    return { ...s, baseUrl: normaliseBaseUrl(s.baseUrl) }
  }
  if (extension === 'mbed') {
    const s = mbedSettingsSchema.parse(settings)
    return { ...s, apiUrl: normaliseBaseUrl(s.apiUrl) }
  }
  if (extension === 'couchdb') return normaliseCouchSettings(settings)
  if (extension === 'kafka') return normaliseKafkaSettings(settings)
  if (extension === 'historian') return normaliseHistorianSettings(settings)
  const s = platformSettingsSchema.parse(settings)
  // Plain MQTT to another host is allowed (plant networks) and shown with a warning; a bad URL is refused here.
  linkSecurity(s.url)
  parseClientId(s.clientId)
  if (s.ca.trim() !== '') parseCaBundle([s.ca])
  // The REST API gets the API key and token over HTTP basic auth: https://, or http:// to a loopback peer only.
  return s.restUrl === '' ? s : { ...s, restUrl: normaliseBaseUrl(s.restUrl, 'settings.restUrl') }
}

/** The core's English for each refusal of secretProblems, whose references the forms translate. */
const SECRET_MESSAGES: Record<SecretProblemKey, string> = {
  'profiles.apiKeyRequired': 'The API key is required (Control Center REST authenticates with user name and API key)',
  'profiles.soapPair': 'The SOAP API needs both the password and the license key, or neither',
  'profiles.orangePasswordRequired': "The access key's password is required (Orange authenticates with the access key and its password)",
  'profiles.accessKeyRequired': 'The mbed access key is required',
  'mbed.invalidAccessKey': 'The mbed access key is missing or contains spaces or control characters',
}

export function toProfile(doc: ProfileDoc): Profile {
  const set = new Set(doc.secretFields)
  const base = { id: doc._id.split(':').slice(2).join(':'), name: doc.name, isDefault: doc.isDefault, createdAt: doc.createdAt, updatedAt: doc.updatedAt }
  const extension = doc.extension as ProfileExtension
  if (extension === 'mbed') return { ...base, extension, settings: mbedSettingsSchema.parse(doc.settings), secrets: { accessKey: set.has('accessKey') } }
  if (extension === 'orange') return { ...base, extension, settings: orangeSettingsSchema.parse(doc.settings), secrets: { password: set.has('password') } }
  if (extension === 'couchdb') return { ...base, extension, settings: couchSettingsSchema.parse(doc.settings), secrets: { apiKey: set.has('apiKey'), password: set.has('password') } }
  if (extension === 'kafka') return { ...base, extension, settings: kafkaSettingsSchema.parse(doc.settings), secrets: { password: set.has('password'), clientKey: set.has('clientKey') } }
  if (extension === 'historian') return { ...base, extension, settings: historianSettingsSchema.parse(doc.settings), secrets: {} }
  if (extension === 'platform') {
    const settings = platformSettingsSchema.parse(doc.settings)
    return { ...base, extension, settings, secrets: { password: set.has('password') }, security: linkSecurity(settings.url) }
  }
  return {
    ...base,
    extension,
    settings: controlCenterSettingsSchema.parse(doc.settings),
    secrets: { apiKey: set.has('apiKey'), password: set.has('password'), licenseKey: set.has('licenseKey') },
  }
}

/** Refuses a name another profile of the same kind reads as (profileNameKey), naming that profile; shown at the name field. */
export function profileNameTaken(extension: string, other: Pick<ProfileDoc, '_id' | 'name'>): AppError {
  const otherId = other._id.split(':').slice(2).join(':')
  return AppError.withRef('CONFLICT', `Another ${extension} profile is already named "${other.name}" (${extension}/${otherId}): choose another name`, {
    key: 'profiles.nameTaken',
    params: { field: 'name', other: other.name },
  })
}

export interface ProfilesDeps {
  db: Db
  vault: SecretStore
  bus: EventBus
  /** Told when a profile changes, so cached clients built from it are dropped. */
  onChange?: (doc: ProfileDoc) => void
  /** Asked before the secrets are written, so a save the team role may not make leaves the keychain as it was. */
  gate?: { check(docs: readonly { _id?: string }[]): void }
}

export function createProfilesService({ db, vault, bus, onChange, gate }: ProfilesDeps) {
  function notFound(extension: string, id: string): AppError {
    return AppError.withRef('NOT_FOUND', `There is no ${extension} profile "${id}"`, { key: 'profiles.notFound', params: { id } })
  }

  async function mustGet(extension: ProfileExtension, id: string): Promise<ProfileDoc & { _rev: string }> {
    const doc = (await getProfile(db, extension, id)) as (ProfileDoc & { _rev: string }) | null
    if (!doc) throw notFound(extension, id)
    return doc
  }

  return {
    async list(extension?: ProfileExtension): Promise<Profile[]> {
      return (await listProfiles(db, extension)).map(toProfile)
    },

    async get(extension: ProfileExtension, id: string): Promise<ProfileDoc> {
      return mustGet(extension, id)
    },

    /** The profile a device uses when its configuration names none: the default, else the only one. */
    async resolve(extension: ProfileExtension, id?: string): Promise<ProfileDoc> {
      if (id) return mustGet(extension, id)
      const all = await listProfiles(db, extension)
      const chosen = all.find((p) => p.isDefault) ?? (all.length === 1 ? all[0] : undefined)
      if (!chosen) {
        throw AppError.withRef(
          'NOT_FOUND',
          all.length === 0 ? `No ${extension} profile yet: add one in Extensions` : `Several ${extension} profiles and none is the default: choose a default in Extensions`,
          { key: all.length === 0 ? 'profiles.noneForCarrier' : 'profiles.noDefault', params: { carrier: extension } },
        )
      }
      return chosen
    },

    async save(input: ProfileSaveInput, ctx: CallContext): Promise<Profile> {
      const existing = input.id ? await getProfile(db, input.extension, input.id) : null
      if (input.id && !existing) throw notFound(input.extension, input.id)
      const kept = input.extension === 'mbed' && input.settings.presubscriptions === undefined ? { presubscriptions: existing?.settings.presubscriptions ?? null } : {}
      const settings = normaliseSettings(input.extension, { ...input.settings, ...kept })
      const fields: readonly string[] = PROFILE_SECRETS[input.extension]
      const secrets = input.secrets as Record<string, string | null | undefined>
      const id = input.id ?? slug(input.name)
      const now = new Date().toISOString()
      const secretFields = new Set(existing?.secretFields ?? [])
      const problem = Object.values(secretProblems(input.extension, secrets, secretFields))[0]
      if (problem) throw AppError.withRef('VALIDATION', SECRET_MESSAGES[problem.key], problem)
      for (const field of fields) {
        const v = secrets[field]
        if (typeof v === 'string') secretFields.add(field)
        else if (v === null) secretFields.delete(field)
      }
      if (input.extension === 'couchdb' || input.extension === 'kafka') assertDestinationSecrets(input.extension, settings, secretFields)
      if (input.extension === 'couchdb' && existing) assertCouchLayoutKept(couchSettingsSchema.parse(existing.settings), settings as CouchSettings)

      const all = await listProfiles(db, input.extension)
      const siblings = all.filter((p) => p._id !== profileDocId(input.extension, id))
      // A profile that already shares its name (made before this check) may still be saved under it, or nothing but a
      // rename could touch it; a new name, or a changed one, must be free.
      const keepsName = existing !== null && profileNameKey(existing.name) === profileNameKey(input.name)
      const namesake = keepsName ? undefined : siblings.find((p) => profileNameKey(p.name) === profileNameKey(input.name))
      if (namesake) throw profileNameTaken(input.extension, namesake)
      // As the list reads it: a default another one outranks (after a sync) is saved as not the default.
      const isDefault = input.isDefault ?? all.find((p) => p._id === profileDocId(input.extension, id))?.isDefault ?? siblings.length === 0
      const doc: ProfileDoc = {
        ...newProfileDoc({ extension: input.extension, id, name: input.name, settings, secretFields: [...secretFields], isDefault }, now),
        ...(existing ? { _rev: existing._rev, createdAt: existing.createdAt } : {}),
      }

      gate?.check([doc])
      // Secrets first: if the keychain refuses, nothing in the workspace claims a secret that is not there.
      for (const field of fields) {
        const v = secrets[field]
        if (typeof v === 'string') await vault.set(profileSecretAccount(doc, field), v)
        else if (v === null) await vault.clear(profileSecretAccount(doc, field))
      }
      const writes: object[] = [
        doc,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: existing ? 'profile.update' : 'profile.add',
          target: `${input.extension}/${id}`,
          subject: doc.name,
          outcome: 'ok',
          ...(existing ? { before: { name: existing.name, settings: existing.settings, secretsSet: existing.secretFields } } : {}),
          after: { name: doc.name, settings: doc.settings, secretsSet: doc.secretFields, isDefault },
        }),
      ]
      if (isDefault) for (const s of siblings.filter((p) => p.isDefault)) writes.push({ ...s, isDefault: false, updatedAt: now })
      assertBulkOk(await db.bulkDocs(writes as ProfileDoc[]))
      onChange?.(doc)
      bus.emit('profiles:changed', { extension: input.extension })
      bus.emit('audit:changed', {})
      return toProfile(doc)
    },

    /**
     * Moves the profile to the trash. Its secrets stay in the vault under the same accounts (the trash document only
     * names them) until the trash is emptied or purged, so a restored profile works again at once.
     */
    async remove(extension: ProfileExtension, id: string, ctx: CallContext): Promise<Output<'profiles:remove'>> {
      const doc = await mustGet(extension, id)
      const now = new Date().toISOString()
      const trash = newTrashDoc({ item: 'profile', target: `${extension}/${id}`, label: doc.name, deletedAt: now, deletedBy: ctx.actor, docs: [doc] })
      const trashId = toTrashEntry(trash).id
      const writes: object[] = [
        { _id: doc._id, _rev: doc._rev, _deleted: true },
        trash,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: 'profile.remove',
          target: `${extension}/${id}`,
          subject: doc.name,
          outcome: 'ok',
          before: { name: doc.name, settings: doc.settings },
          after: { trash: trashId },
        }),
      ]
      // Keep a default: removing it promotes the oldest remaining profile.
      const rest = (await listProfiles(db, extension)).filter((p) => p._id !== doc._id)
      if (doc.isDefault && rest.length > 0 && !rest.some((p) => p.isDefault)) {
        const next = [...rest].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!
        writes.push({ ...next, isDefault: true, updatedAt: now })
      }
      assertBulkOk(await db.bulkDocs(writes as ProfileDoc[]))
      onChange?.(doc)
      bus.emit('profiles:changed', { extension })
      bus.emit('trash:changed', {})
      bus.emit('audit:changed', {})
      return { removed: true, trashId }
    },

    /** Secrets for a network client inside the core; never bridged. */
    async secret(doc: ProfileDoc, field: string): Promise<string | null> {
      return doc.secretFields.includes(field) ? vault.get(profileSecretAccount(doc, field)) : null
    },
  }
}

export type ProfilesService = ReturnType<typeof createProfilesService>
