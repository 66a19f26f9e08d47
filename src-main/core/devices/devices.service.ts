import type { Device, DeviceKey, Diagnostic, Output, ParsedInput } from '../../../src-shared/contract'
import type { CallContext } from '../common/call-context'
import { AppError } from '../common/errors'
import type { EventBus } from '../common/events'
import { auditDoc } from '../store/audit.store'
import { deviceDocId, draftDocId, getDeviceDoc, getDraftDoc, newDeviceDoc, toDevice, type DeviceDoc, type DraftDoc } from '../store/devices.store'
import { assertBulkOk, isConflict, type Db } from '../store/documents'
import { CURRENT_SCHEMA } from '../store/schema'
import { newTrashDoc, toTrashEntry } from '../store/trash.store'
import { checkExtensionConfig } from './extension-config'

export interface DevicesDeps {
  db: Db
  bus: EventBus
}

function label(key: DeviceKey): string {
  return `${key.typeId}/${key.deviceId}`
}

function notFound(key: DeviceKey): AppError {
  return AppError.withRef('NOT_FOUND', `Device ${label(key)} does not exist`, { key: 'errors.deviceNotFound', params: { id: label(key) } })
}

/** PouchDB's 409 means someone else (another window, a replica) changed the document first. */
function rethrowConflict(e: unknown, key: DeviceKey): never {
  if (isConflict(e)) {
    throw AppError.withRef('CONFLICT', `Device ${label(key)} was changed elsewhere; reload it and try again`, { key: 'errors.deviceChanged', params: { id: label(key) } })
  }
  throw e
}

export function createDevicesService({ db, bus }: DevicesDeps) {
  async function mustGet(key: DeviceKey): Promise<DeviceDoc & { _rev: string }> {
    const doc = await getDeviceDoc(db, key)
    if (!doc) throw notFound(key)
    return doc
  }

  return {
    async get(key: DeviceKey): Promise<Device> {
      const [doc, draft] = await Promise.all([mustGet(key), getDraftDoc(db, key)])
      return toDevice(doc, draft)
    },

    async add(input: ParsedInput<'devices:add'>, ctx: CallContext): Promise<Device> {
      if (await getDeviceDoc(db, input)) {
        throw AppError.withRef('CONFLICT', `Device ${label(input)} already exists`, { key: 'errors.deviceExists', params: { id: label(input) } })
      }
      const now = new Date().toISOString()
      const doc = newDeviceDoc(input, now)
      const results = await db.bulkDocs([
        doc,
        auditDoc({ at: now, actor: ctx.actor, action: 'device.add', target: label(input), outcome: 'ok', after: { description: doc.description, metadata: doc.metadata } }),
      ])
      try {
        assertBulkOk(results)
      } catch (e) {
        rethrowConflict(e, input)
      }
      bus.emit('devices:changed', { reason: 'added' })
      bus.emit('audit:changed', {})
      return toDevice(doc, null)
    },

    /** Moves the device (with its configuration, metadata and unsaved draft) to the trash; its audit history stays under the same target. */
    async remove(key: DeviceKey, ctx: CallContext): Promise<Output<'devices:remove'>> {
      const doc = await mustGet(key)
      const draft = await getDraftDoc(db, key)
      const now = new Date().toISOString()
      const trash = newTrashDoc({ item: 'device', target: label(key), label: doc.description, deletedAt: now, deletedBy: ctx.actor, docs: draft ? [doc, draft] : [doc] })
      const writes: object[] = [
        { _id: doc._id, _rev: doc._rev, _deleted: true },
        trash,
        auditDoc({
          at: now,
          actor: ctx.actor,
          action: 'device.remove',
          target: label(key),
          outcome: 'ok',
          before: { description: doc.description, metadata: doc.metadata, extensionConfig: doc.extensionConfig },
          after: { trash: toTrashEntry(trash).id },
        }),
      ]
      if (draft) writes.push({ _id: draft._id, _rev: draft._rev, _deleted: true })
      try {
        assertBulkOk(await db.bulkDocs(writes as DeviceDoc[]))
      } catch (e) {
        rethrowConflict(e, key)
      }
      bus.emit('devices:changed', { reason: 'removed' })
      bus.emit('trash:changed', {})
      bus.emit('audit:changed', {})
      return { removed: true, trashId: toTrashEntry(trash).id }
    },

    validateConfig(text: string): { valid: boolean; diagnostics: Diagnostic[] } {
      const { valid, diagnostics } = checkExtensionConfig(text)
      return { valid, diagnostics }
    },

    /**
     * Validates again in main (the renderer's checks are a convenience, not a guarantee) and refuses to
     * store anything invalid; the operator's text stays in their editor and in the draft.
     */
    async saveConfig(input: ParsedInput<'devices:saveConfig'>, ctx: CallContext): Promise<Output<'devices:saveConfig'>> {
      const check = checkExtensionConfig(input.text)
      const doc = await mustGet(input)
      if (!check.valid || !check.value) {
        const first = check.diagnostics.find((d) => d.severity === 'error')
        throw AppError.withRef(
          'VALIDATION',
          `The configuration of ${label(input)} is invalid${first ? ` (line ${first.line}, column ${first.column}: ${first.message})` : ''}`,
          { key: 'errors.configInvalid', params: { count: check.diagnostics.filter((d) => d.severity === 'error').length } },
          { diagnostics: check.diagnostics },
        )
      }
      const now = new Date().toISOString()
      const updated: DeviceDoc = { ...doc, extensionConfig: check.value, updatedAt: now }
      const draft = await getDraftDoc(db, input)
      const writes: object[] = [updated, auditDoc({ at: now, actor: ctx.actor, action: 'device.config.save', target: label(input), outcome: 'ok', before: doc.extensionConfig, after: check.value })]
      if (draft) writes.push({ _id: draft._id, _rev: draft._rev, _deleted: true })
      const results = await db.bulkDocs(writes as DeviceDoc[])
      try {
        assertBulkOk(results)
      } catch (e) {
        rethrowConflict(e, input)
      }
      const rev = (results[0] as PouchDB.Core.Response).rev
      const saved = { ...updated, _rev: rev }
      bus.emit('devices:changed', { reason: 'updated' })
      bus.emit('audit:changed', {})
      return { device: toDevice(saved, null), diagnostics: check.diagnostics }
    },

    /** Autosave of unsaved edits: not a change to the device, so it is not audited. */
    async saveDraft(input: ParsedInput<'devices:saveDraft'>): Promise<{ savedAt: string }> {
      await mustGet(input)
      const savedAt = new Date().toISOString()
      for (let attempt = 0; ; attempt++) {
        const existing = await getDraftDoc(db, input)
        const doc: DraftDoc = {
          _id: draftDocId(input),
          kind: 'draft',
          schemaVersion: CURRENT_SCHEMA.draft,
          target: deviceDocId(input),
          text: input.text,
          savedAt,
          ...(existing ? { _rev: existing._rev } : {}),
        }
        try {
          await db.put(doc)
          return { savedAt }
        } catch (e) {
          // Two autosaves racing: the later text wins, which is what the operator sees in the editor.
          if (!isConflict(e) || attempt >= 3) throw e
        }
      }
    },

    /** Throwing away typed text is the operator's decision, unlike the autosave: it is audited, with the text. */
    async discardDraft(key: DeviceKey, ctx: CallContext): Promise<{ discarded: boolean }> {
      const draft = await getDraftDoc(db, key)
      if (!draft) return { discarded: false }
      assertBulkOk(
        await db.bulkDocs([
          { _id: draft._id, _rev: draft._rev, _deleted: true } as never,
          auditDoc({ actor: ctx.actor, action: 'device.draft.discard', target: label(key), outcome: 'ok', before: { text: draft.text, savedAt: draft.savedAt } }),
        ]),
      )
      bus.emit('audit:changed', {})
      return { discarded: true }
    },
  }
}

export type DevicesService = ReturnType<typeof createDevicesService>
