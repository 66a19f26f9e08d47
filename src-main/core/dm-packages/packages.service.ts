import type { Diagnostic, Output, ParsedInput } from '../../../src-shared/contract'
import type { PackageDetail, PackageSummary } from '../../../src-shared/models/packages'
import type { CallContext } from '../common/call-context'
import { AppError, toErrorInfo } from '../common/errors'
import type { EventBus } from '../common/events'
import type { PlatformLinks } from '../platform/platform-links'
import type { ProfilesService } from '../profiles/profiles.service'
import { auditDoc, appendAudit } from '../store/audit.store'
import { getDeviceDoc, toDevice, getDraftDoc, type DeviceDoc } from '../store/devices.store'
import { getPackageDoc, listPackageDocs, packageDocId, type PackageDoc } from '../store/packages.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { newTrashDoc, toTrashEntry } from '../store/trash.store'
import { buildFields, invokeAction } from './invoke'
import type { DmPackage } from '../../../src-shared/models/packages'
import { validatePackage } from './validator'

export interface PackagesDeps {
  db: Db
  bus: EventBus
  profiles: ProfilesService
  links: PlatformLinks
}

function summary(doc: PackageDoc): PackageSummary {
  const v = doc.value
  return {
    bundleId: v.bundleId,
    version: v.version ?? null,
    provider: v.provider ?? null,
    displayName: v.displayName,
    actionCount: Object.keys(v.actions).length,
    updatedAt: doc.updatedAt,
  }
}

function detail(doc: PackageDoc): PackageDetail {
  const v = doc.value
  return {
    ...summary(doc),
    text: doc.text,
    description: v.description ?? null,
    actions: Object.entries(v.actions).map(([id, a]) => ({ id, actionDisplayName: a.actionDisplayName, description: a.description ?? null, parameters: a.parameters ?? [] })),
  }
}

/** Refuses anything invalid with its diagnostics (line and column); nothing invalid is ever stored. */
function mustValidate(text: string): { value: DmPackage; diagnostics: Diagnostic[] } {
  const check = validatePackage(text)
  if (!check.valid || !check.value) {
    const errors = check.diagnostics.filter((d) => d.severity === 'error')
    const first = errors[0]
    throw AppError.withRef(
      first?.ref.key === 'dm.tooLarge' ? 'TOO_LARGE' : 'VALIDATION',
      `The package is invalid${first ? ` (line ${first.line}, column ${first.column}: ${first.message})` : ''}`,
      { key: 'dm.invalidPackage', params: { count: errors.length } },
      { diagnostics: check.diagnostics },
    )
  }
  return { value: check.value, diagnostics: check.diagnostics }
}

/**
 * The package library (validate, keep, replace, export, delete — each change audited) and the invocation of a
 * package's custom actions on managed devices through the platform's MQTT broker.
 */
export function createPackagesService({ db, bus, profiles, links }: PackagesDeps) {
  function notFound(bundleId: string): AppError {
    return AppError.withRef('NOT_FOUND', `There is no package ${bundleId}`, { key: 'dm.notFound', params: { bundleId } })
  }

  async function mustGet(bundleId: string): Promise<PackageDoc & { _rev: string }> {
    const doc = await getPackageDoc(db, bundleId)
    if (!doc) throw notFound(bundleId)
    return doc
  }

  async function write(docs: object[]): Promise<void> {
    try {
      assertBulkOk(await db.bulkDocs(docs as PackageDoc[]))
    } catch (e) {
      if (isConflict(e)) throw AppError.withRef('CONFLICT', 'The package was changed elsewhere; reload it and try again', { key: 'dm.changedElsewhere' })
      throw e
    }
    bus.emit('packages:changed', {})
    bus.emit('audit:changed', {})
  }

  return {
    validate(text: string): Output<'packages:validate'> {
      const { valid, diagnostics } = validatePackage(text)
      return { valid, diagnostics }
    },

    async list(): Promise<PackageSummary[]> {
      return (await listPackageDocs(db)).map(summary).sort((a, b) => a.bundleId.localeCompare(b.bundleId))
    },

    async get(bundleId: string): Promise<PackageDetail> {
      return detail(await mustGet(bundleId))
    },

    /** A bundle that already exists is refused unless the operator chose to replace it; the old one goes to the audit trail. */
    async add(input: ParsedInput<'packages:add'>, ctx: CallContext): Promise<PackageSummary> {
      const { value } = mustValidate(input.text)
      const existing = await getPackageDoc(db, value.bundleId)
      if (existing && !input.replace) {
        throw AppError.withRef('CONFLICT', `A package ${value.bundleId} already exists (version ${existing.value.version ?? '—'}); choose Replace to overwrite it`, {
          key: 'dm.exists',
          params: { bundleId: value.bundleId, version: existing.value.version ?? '—' },
        })
      }
      const now = new Date().toISOString()
      const doc: PackageDoc = {
        _id: packageDocId(value.bundleId),
        ...(existing ? { _rev: existing._rev } : {}),
        kind: 'package',
        schemaVersion: CURRENT_SCHEMA.package,
        bundleId: value.bundleId,
        text: input.text,
        value,
        addedAt: existing?.addedAt ?? now,
        updatedAt: now,
      }
      await write([
        doc,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: existing ? 'package.replace' : 'package.add',
          target: value.bundleId,
          outcome: 'ok',
          ...(existing ? { before: { version: existing.value.version ?? null, text: existing.text } } : {}),
          after: { version: value.version ?? null, actions: Object.keys(value.actions) },
        }),
      ])
      return summary(doc)
    },

    /** An edit of a kept package, validated again here; its bundle id cannot change (add it as a new package instead). */
    async save(input: ParsedInput<'packages:save'>, ctx: CallContext): Promise<PackageSummary> {
      const existing = await mustGet(input.bundleId)
      const { value } = mustValidate(input.text)
      if (value.bundleId !== input.bundleId) {
        throw AppError.withRef('VALIDATION', `The bundle id cannot change from ${input.bundleId} to ${value.bundleId}; add it as a new package instead`, {
          key: 'dm.bundleIdChanged',
          params: { from: input.bundleId, to: value.bundleId },
        })
      }
      const now = new Date().toISOString()
      const doc: PackageDoc = { ...existing, text: input.text, value, updatedAt: now }
      await write([
        doc,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: 'package.update',
          target: value.bundleId,
          outcome: 'ok',
          before: { version: existing.value.version ?? null, text: existing.text },
          after: { version: value.version ?? null },
        }),
      ])
      return summary(doc)
    },

    /** Moves the package to the trash, whole (its text is what comes back). */
    async remove(bundleId: string, ctx: CallContext): Promise<Output<'packages:remove'>> {
      const existing = await mustGet(bundleId)
      const now = new Date().toISOString()
      const trash = newTrashDoc({ item: 'package', target: bundleId, label: existing.value.version ?? '', deletedAt: now, deletedBy: ctx.actor, docs: [existing] })
      const trashId = toTrashEntry(trash).id
      await write([
        { _id: existing._id, _rev: existing._rev, _deleted: true },
        trash,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: 'package.remove',
          target: bundleId,
          outcome: 'ok',
          before: { version: existing.value.version ?? null, text: existing.text },
          after: { trash: trashId },
        }),
      ])
      bus.emit('trash:changed', {})
      return { removed: true, trashId }
    },

    /** Marks which packages a device supports (what its manage request declared), so its page offers their actions. */
    async setSupported(input: ParsedInput<'devices:setSupportedBundles'>, ctx: CallContext): Promise<Output<'devices:setSupportedBundles'>> {
      const doc = await getDeviceDoc(db, input)
      const label = `${input.typeId}/${input.deviceId}`
      if (!doc) throw AppError.withRef('NOT_FOUND', `Device ${label} does not exist`, { key: 'errors.deviceNotFound', params: { id: label } })
      for (const bundleId of input.bundles) if (!(await getPackageDoc(db, bundleId))) throw notFound(bundleId)
      const now = new Date().toISOString()
      const bundles = [...new Set(input.bundles)].sort()
      const updated: DeviceDoc = { ...doc, supportedBundles: bundles, updatedAt: now }
      const results = await db.bulkDocs([
        updated,
        auditDoc({ at: now, actor: ctx.actor, action: 'device.supportedBundles', target: label, outcome: 'ok', before: doc.supportedBundles ?? [], after: bundles }),
      ] as DeviceDoc[])
      assertBulkOk(results)
      const saved = { ...updated, _rev: (results[0] as PouchDB.Core.Response).rev }
      bus.emit('devices:changed', { reason: 'updated' })
      bus.emit('audit:changed', {})
      return toDevice(saved, await getDraftDoc(db, input))
    },

    /**
     * Runs a package action on a device: checks the device supports the bundle and the values against the
     * package (nothing is sent otherwise), publishes the request and waits for the device's rc. Every
     * invocation is audited, answered or not.
     */
    async invoke(input: ParsedInput<'packages:invoke'>, ctx: CallContext, options: { requireSupport?: boolean; beforeSend?: () => Promise<void> } = {}): Promise<Output<'packages:invoke'>> {
      const pkg = await mustGet(input.bundleId)
      const label = `${input.typeId}/${input.deviceId}`
      if (options.requireSupport !== false) {
        const device = await getDeviceDoc(db, input)
        if (!device) throw AppError.withRef('NOT_FOUND', `Device ${label} does not exist`, { key: 'errors.deviceNotFound', params: { id: label } })
        if (!(device.supportedBundles ?? []).includes(input.bundleId)) {
          throw AppError.withRef('VALIDATION', `Device ${label} is not marked as supporting ${input.bundleId}`, { key: 'dm.notSupported', params: { id: label, bundleId: input.bundleId } })
        }
      }
      const action = pkg.value.actions[input.actionId]
      if (!action)
        throw AppError.withRef('NOT_FOUND', `Package ${input.bundleId} has no action ${input.actionId}`, { key: 'dm.noSuchAction', params: { bundleId: input.bundleId, actionId: input.actionId } })
      const { fields, problems } = buildFields(action, input.parameters)
      if (problems.length > 0) {
        throw AppError.withRef(
          'VALIDATION',
          `The action was not sent: ${problems.map((p) => `${p.name} (${p.problem})`).join(', ')}`,
          { key: 'dm.badParameters', params: { list: problems.map((p) => p.name).join(', ') } },
          { issues: problems.map((p) => ({ path: p.name, message: p.problem })) },
        )
      }
      // Once the request is known to be valid: the CLI warns there about a device it cannot know to support the package.
      await options.beforeSend?.()
      const profile = await profiles.resolve('platform', input.platformProfile || undefined)
      const link = await links.linkFor(profile)
      const target = `${label} ${input.bundleId}/${input.actionId}`
      try {
        if (link.state !== 'connected') await Promise.race([link.connect(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
        const { runId } = input
        const result = await invokeAction({
          link,
          typeId: input.typeId,
          deviceId: input.deviceId,
          bundleId: input.bundleId,
          actionId: input.actionId,
          fields,
          timeoutMs: input.timeoutSeconds * 1000,
          ...(runId ? { onSent: () => bus.emit('packages:invokeSent', { runId }) } : {}),
        })
        const ok = result.rc !== null && result.rc >= 200 && result.rc < 300
        await appendAudit(db, {
          actor: ctx.actor,
          action: 'package.invoke',
          target,
          outcome: ok ? 'ok' : 'failed',
          after: { fields, reqId: result.reqId, rc: result.rc },
          detail: result.timedOut ? `no response within ${input.timeoutSeconds} s` : `rc ${result.rc}`,
        })
        bus.emit('audit:changed', {})
        return result
      } catch (e) {
        await appendAudit(db, { actor: ctx.actor, action: 'package.invoke', target, outcome: 'failed', after: { fields }, error: toErrorInfo(e) })
        bus.emit('audit:changed', {})
        throw e
      }
    },
  }
}

export type PackagesService = ReturnType<typeof createPackagesService>
