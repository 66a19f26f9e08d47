import type { Device, DeviceKey, DeviceSummary } from '../../../src-shared/contract'
import type { DeviceLocation } from '../../../src-shared/models/location'
import { getOrNull, type BaseDoc, type Db } from './documents'
import { CURRENT_SCHEMA } from './schema'

export interface DeviceDoc extends BaseDoc {
  kind: 'device'
  typeId: string
  deviceId: string
  description: string
  metadata: Record<string, unknown>
  extensionConfig: Record<string, unknown> | null
  /** Device-management packages whose actions this device accepts; absent on documents written before. */
  supportedBundles?: string[]
  /** Where the device is (set by an operator, imported, or reported by the device); absent when unknown. */
  location?: DeviceLocation
  createdAt: string
  updatedAt: string
}

export interface DraftDoc extends BaseDoc {
  kind: 'draft'
  target: string
  text: string
  savedAt: string
}

const DEVICE_PREFIX = 'device:'

export function deviceDocId(key: DeviceKey): string {
  return `${DEVICE_PREFIX}${key.typeId}:${key.deviceId}`
}

/** Drafts are separate documents so that autosaving an edit never conflicts with the device itself. */
export function draftDocId(key: DeviceKey): string {
  return `draft:${deviceDocId(key)}`
}

export function newDeviceDoc(
  input: DeviceKey & { description: string; metadata: Record<string, unknown>; extensionConfig?: Record<string, unknown> | null; location?: Omit<DeviceLocation, 'updatedAt'> | null },
  now: string,
): DeviceDoc {
  return {
    ...(input.location ? { location: { ...input.location, updatedAt: now } } : {}),
    _id: deviceDocId(input),
    kind: 'device',
    schemaVersion: CURRENT_SCHEMA.device,
    typeId: input.typeId,
    deviceId: input.deviceId,
    description: input.description,
    metadata: input.metadata,
    extensionConfig: input.extensionConfig ?? null,
    createdAt: now,
    updatedAt: now,
  }
}

export function toSummary(doc: DeviceDoc): DeviceSummary {
  return {
    typeId: doc.typeId,
    deviceId: doc.deviceId,
    description: doc.description,
    extensions: doc.extensionConfig ? Object.keys(doc.extensionConfig).sort() : [],
  }
}

export function toDevice(doc: DeviceDoc, draft: DraftDoc | null): Device {
  return {
    ...toSummary(doc),
    metadata: doc.metadata,
    extensionConfig: doc.extensionConfig,
    supportedBundles: doc.supportedBundles ?? [],
    location: doc.location ?? null,
    draft: draft ? { text: draft.text, savedAt: draft.savedAt } : null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export async function getDeviceDoc(db: Db, key: DeviceKey) {
  return getOrNull<DeviceDoc>(db, deviceDocId(key))
}

export async function getDraftDoc(db: Db, key: DeviceKey) {
  return getOrNull<DraftDoc>(db, draftDocId(key))
}

interface IndexEntry {
  id: string
  summary: DeviceSummary
  /** Lower-cased text the filter searches. */
  haystack: string
}

/**
 * The device list lives in memory as well as in the store: filtering 100,000 devices on every keystroke
 * must answer in milliseconds, which a scan of LevelDB cannot. The store stays the source of truth; the
 * index is rebuilt from it at start and kept in step by the service that writes.
 */
export class DeviceIndex {
  readonly #byId = new Map<string, IndexEntry>()
  #sorted: IndexEntry[] = []
  #dirty = false
  #lastQuery: { needle: string; hits: IndexEntry[] } | null = null

  get size(): number {
    return this.#byId.size
  }

  /** Reads every device from the store; `onPage` hears the running count after each page (a long open shows it). */
  async load(db: Db, pageSize = 5000, onPage?: (loaded: number) => void): Promise<void> {
    this.#byId.clear()
    let startkey = DEVICE_PREFIX
    let skipFirst = false
    for (;;) {
      const page = await db.allDocs({ include_docs: true, startkey, endkey: `${DEVICE_PREFIX}\ufff0`, limit: pageSize + (skipFirst ? 1 : 0) })
      const rows = skipFirst ? page.rows.slice(1) : page.rows
      for (const row of rows) if (row.doc) this.upsert(row.doc as unknown as DeviceDoc)
      onPage?.(this.#byId.size)
      if (rows.length < pageSize) break
      startkey = rows[rows.length - 1]!.id
      skipFirst = true
    }
  }

  upsert(doc: DeviceDoc): void {
    const summary = toSummary(doc)
    this.#byId.set(doc._id, {
      id: doc._id,
      summary,
      haystack: `${summary.typeId}\n${summary.deviceId}\n${summary.description}\n${summary.extensions.join(' ')}`.toLowerCase(),
    })
    this.#touch()
  }

  remove(id: string): void {
    if (this.#byId.delete(id)) this.#touch()
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  list(query: string, offset: number, limit: number): { total: number; items: DeviceSummary[] } {
    const hits = this.#filter(query.trim().toLowerCase())
    return { total: hits.length, items: hits.slice(offset, offset + limit).map((e) => e.summary) }
  }

  #touch(): void {
    this.#dirty = true
    this.#lastQuery = null
  }

  #filter(needle: string): IndexEntry[] {
    if (this.#dirty) {
      // Sorting lazily keeps a 100,000-row import linear: one sort when the list is next read.
      this.#sorted = [...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      this.#dirty = false
    }
    if (!needle) return this.#sorted
    // Typing narrows a filter: search within the previous hits when the new text extends the old.
    const base = this.#lastQuery && needle.startsWith(this.#lastQuery.needle) ? this.#lastQuery.hits : this.#sorted
    const hits = base.filter((e) => e.haystack.includes(needle))
    this.#lastQuery = { needle, hits }
    return hits
  }
}
