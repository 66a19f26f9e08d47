/**
 * The layout of the device index (one LevelDB, keys compared as UTF-8 bytes). `nat` is a device's natural key: its
 * type then its ID in natural order, then their shape (`shapeOf`: which letters are upper case, how many leading zeros
 * each digit run has), which makes it unique and, with the natural keys, names the device (`keyOfNat`). It is in every
 * key of a device: the raw `type:id` it ended with before (format 4) doubled the bytes an import writes for its ID.
 *
 *   m!checkpoint                          → the workspace sequence indexed so far, the format, the database id
 *   c!<cell>                              → a cell: its fields and how many devices it holds
 *   k!<carrier>:<sim id>                  → what the carrier cache says of that SIM
 *   w!<nat>                               → what the weather cache says at that device's location
 *   n!<nat>                               → "<cell>|<words>|<row>": every device in natural order, with its row
 *   p!<cell>!<nat>                        → the devices of each cell, in natural order
 *   s!<column>!<sort value>\0<nat>        → "<cell>": devices in the order of a column (non-empty values; the column
 *                                           named by two characters, `COLUMN_CODES`)
 *   s!id!<sort value>\0<shape>            → "<cell>": the ID's order, whose sort value holds the nat's natural keys
 *   z!<column>!<nat>                      → "<cell>": devices whose value of that column is empty, where the cell does not say so
 *   i!<word>\u0001<shared>\0<nat>         → "<cell>": each device's ID as one searchable word (its whole folded ID)
 *   t!<word>\u0001<shared>\0<nat>         → "<cell>": the other searchable words of each device
 *   q!<carrier>:<sim id>                  → the devices that name that SIM, one nat per line (usually one)
 *
 * Cell ids ride along in values so that a walk through any order can filter by field without reading rows. The whole
 * ID is kept apart from the other words because the devices whose ID a term begins lie in a few ranges of the natural
 * order (`naturalPrefixes` in text.ts): a search typed from an ID reads those ranges and the term's other postings, not every row.
 *
 * `<shared>` is one character (`sharedMark`): how many first characters the word has in common with the device's
 * previous word, its words (ID included) in sorted order. A term begins a run of a device's words in that order, and
 * only the first of the run shares fewer characters than the term is long: counting the postings of a term (ICCID
 * digits: tens of thousands) needs no set of the devices already met.
 */
import type { DeviceColumn } from '../../../../src-shared/models/device-query'
import { DEVICE_ID_PATTERN, type DeviceKey } from '../../../../src-shared/models/device-id'
import { convert } from '../../../../src-shared/models/weather-units'
import { type CellFields, type IndexedRow, encodeRow } from './device-row'
import { fold, naturalKey, words } from './text'

export const CHECKPOINT_KEY = 'm!checkpoint'
export const CELL_PREFIX = 'c!'
export const SIM_PREFIX = 'k!'
export const WEATHER_PREFIX = 'w!'
export const ROW_PREFIX = 'n!'
/** Greater than every character a key holds: the end of a prefix range. */
export const END = String.fromCodePoint(0x10ffff)

/** Columns with an order of their own (`s!`); the others are ordered through the cells (`p!`) or are the natural order. */
export const SORTED_COLUMNS = [
  'deviceId',
  'description',
  'simId',
  'simAsOf',
  'dataThisCycleBytes',
  'updatedAt',
  'weatherPhrase',
  'weatherTemperature',
  'weatherWindSpeed',
  'weatherAsOf',
] as const satisfies readonly DeviceColumn[]
export type SortedColumn = (typeof SORTED_COLUMNS)[number]

/**
 * A device's nat. Devices of equal natural keys (IDs that differ by case or by leading zeros) keep the order their raw
 * `type:id` gives them: their shapes list the same places in the same order (each stretch of other characters than
 * digits, each digit run), the first place where their shapes differ is where their raw texts first differ, and each
 * place's characters compare as the raw characters there do.
 */
export function natKey(key: DeviceKey): string {
  const natural = `${naturalKey(key.typeId)}\u0001${naturalKey(key.deviceId)}\u0000`
  if (!DEVICE_ID_PATTERN.test(key.typeId) || !DEVICE_ID_PATTERN.test(key.deviceId)) return `${natural}${RAW_MARK}${key.typeId}:${key.deviceId}`
  return `${natural}${shapeOf(key.typeId, true)}${shapeOf(key.deviceId, false)}`
}

/**
 * A key the index cannot hold (outside DEVICE_ID_PATTERN: a lookup of a typo) ends with this then its raw `type:id`:
 * no shape starts with it, and no such key is compared with the index's own.
 */
const RAW_MARK = '!'
/** Shape characters: an upper-case letter's place in its stretch, then the stretch's end (greater than any place). */
const CASE_BASE = 0x30
const STRETCH_END = '~'
/** Shape characters of a run's leading zeros (at most MAX_ZEROS: an ID is 36 characters at most). */
const ZERO_BASE = 0x30
const MAX_ZEROS = 40

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)

/**
 * Whether more leading zeros put a digit run first among runs of the same value: always for a run that is not zero;
 * for "0", "00"… only when the character after the run sorts after '0' (a letter, '_', the ':' after the type), since
 * a shorter run meets that character where a longer one still has a '0'.
 */
function moreZerosFirst(nonZero: boolean, next: number): boolean {
  return nonZero || next > 0x30
}

/**
 * What an ID (of DEVICE_ID_PATTERN) holds beyond its natural key: which letters are upper case and how many leading
 * zeros each digit run has. The natural key gives the rest (folded letters, the runs' values, every other
 * character), so the two give the ID back; and among IDs of one natural key, shapes compare as the IDs do (see natKey).
 * `isType`: the ID is followed by ':' (the type of `type:id`), else it ends the text.
 */
function shapeOf(raw: string, isType: boolean): string {
  let out = ''
  let i = 0
  while (i < raw.length) {
    const from = i
    if (!isDigit(raw.charCodeAt(i))) {
      let letters = false
      for (; i < raw.length && !isDigit(raw.charCodeAt(i)); i++) {
        const c = raw.charCodeAt(i)
        if (!isLetter(c)) continue
        letters = true
        if (c <= 0x5a) out += String.fromCharCode(CASE_BASE + i - from)
      }
      if (letters) out += STRETCH_END
      continue
    }
    while (i < raw.length && isDigit(raw.charCodeAt(i))) i++
    // Leading zeros: all but the last digit of a run of zeros ("000" is "0" with two).
    let zeros = 0
    while (from + zeros < i - 1 && raw.charCodeAt(from + zeros) === 0x30) zeros++
    const nonZero = raw.charCodeAt(from + zeros) !== 0x30
    const next = i < raw.length ? raw.charCodeAt(i) : isType ? 0x3a : 0
    out += String.fromCharCode(ZERO_BASE + (moreZerosFirst(nonZero, next) ? MAX_ZEROS - zeros : zeros))
  }
  return out
}

/** The ID a natural key (of an ID of DEVICE_ID_PATTERN) and its shape give, from `at` in `shape`; `end`: where it stopped. */
function unshape(natural: string, shape: string, at: number, isType: boolean): { raw: string; end: number } {
  // The natural key's digit runs are '0', two digits of length, the digits: the text without them is the folded ID.
  let text = ''
  for (let i = 0; i < natural.length;) {
    if (natural.charCodeAt(i) !== 0x30) text += natural[i++]
    else {
      const length = Number(natural.slice(i + 1, i + 3))
      text += natural.slice(i + 3, i + 3 + length)
      i += 3 + length
    }
  }
  let raw = ''
  let i = 0
  while (i < text.length) {
    const from = i
    if (!isDigit(text.charCodeAt(i))) {
      while (i < text.length && !isDigit(text.charCodeAt(i))) i++
      const stretch = text.slice(from, i).split('')
      if (stretch.some((ch) => isLetter(ch.charCodeAt(0)))) {
        for (; at < shape.length && shape[at] !== STRETCH_END; at++) {
          const k = shape.charCodeAt(at) - CASE_BASE
          stretch[k] = stretch[k]!.toUpperCase()
        }
        at++
      }
      raw += stretch.join('')
      continue
    }
    while (i < text.length && isDigit(text.charCodeAt(i))) i++
    const run = text.slice(from, i)
    const next = i < text.length ? text.charCodeAt(i) : isType ? 0x3a : 0
    const code = shape.charCodeAt(at++) - ZERO_BASE
    raw += '0'.repeat(moreZerosFirst(run !== '0', next) ? MAX_ZEROS - code : code) + run
  }
  return { raw, end: at }
}

export function keyOfNat(nat: string): DeviceKey {
  const cut = nat.indexOf('\u0001')
  const end = nat.indexOf('\u0000', cut)
  if (nat[end + 1] === RAW_MARK) {
    const raw = nat.slice(end + 2)
    const colon = raw.indexOf(':')
    return { typeId: raw.slice(0, colon), deviceId: raw.slice(colon + 1) }
  }
  const type = unshape(nat.slice(0, cut), nat, end + 1, true)
  return { typeId: type.raw, deviceId: unshape(nat.slice(cut + 1, end), nat, type.end, false).raw }
}

export const docIdOfNat = (nat: string): string => {
  const key = keyOfNat(nat)
  return `device:${key.typeId}:${key.deviceId}`
}
export const rowKey = (nat: string): string => `${ROW_PREFIX}${nat}`
export const cellPrefix = (cell: number): string => `p!${cell}!`
/** Each sorted column's name in its keys: two characters rather than the column's name, in a key of every device. */
const COLUMN_CODES: Record<SortedColumn, string> = {
  deviceId: 'id',
  description: 'de',
  simId: 'si',
  simAsOf: 'sa',
  dataThisCycleBytes: 'by',
  updatedAt: 'up',
  weatherPhrase: 'wp',
  weatherTemperature: 'wt',
  weatherWindSpeed: 'ws',
  weatherAsOf: 'wa',
}
export const sortPrefix = (column: SortedColumn): string => `s!${COLUMN_CODES[column]}!`
export const emptyPrefix = (column: SortedColumn): string => `z!${COLUMN_CODES[column]}!`
export const wordPrefix = (term: string): string => `t!${term}`
export const idWordPrefix = (term: string): string => `i!${term}`
export const simDevicesKey = (sim: string): string => `q!${sim}`
/** The code of the `<shared>` character that stands for no character in common (see the layout above). */
export const SHARED_BASE = 0x30
/** The `<shared>` character of a word sharing `n` first characters with the device's previous word. */
export const sharedMark = (n: number): string => String.fromCharCode(SHARED_BASE + n)
/**
 * Whether the posting `key` of a term `termLength` long (keys from `prefixLength` on: the word) is the first of its
 * device's words the term begins: the others share at least the term with the word before them.
 */
export const firstOfDevice = (key: string, prefixLength: number, termLength: number): boolean => key.charCodeAt(key.indexOf('\u0000', prefixLength) - 1) - SHARED_BASE < termLength

/** The nat of an index key that ends with one (every family but the rows, where it is the whole rest, and the ID's order). */
export const natOfKey = (key: string, prefixLength: number, separator: boolean): string => (separator ? key.slice(key.indexOf('\u0000', prefixLength) + 1) : key.slice(prefixLength))

/**
 * A measurement as digits that compare as strings in numeric order: shifted by `offset` so negative temperatures come
 * first, in thousandths, zero-padded (values beyond the range a reading can hold are clamped).
 */
export function measureKey(value: number, offset: number): string {
  const shifted = Math.min(Math.max(value, -offset), 1e6) + offset
  return String(Math.round(shifted * 1000)).padStart(13, '0')
}

/** The deviceId column's sort value: the natural keys of the device's ID then of its type, taken from its nat. */
export function idSortValue(nat: string): string {
  const cut = nat.indexOf('\u0001')
  return `${nat.slice(cut + 1, nat.indexOf('\u0000', cut))}\u0001${nat.slice(0, cut)}`
}

/**
 * The deviceId column's entry (`s!id!`): its sort value holds the nat's natural keys already, so the key ends with
 * the nat's shape only, which orders devices of one sort value as their nats do.
 */
export function idSortKey(nat: string): string {
  const end = nat.indexOf('\u0000', nat.indexOf('\u0001'))
  return `${sortPrefix('deviceId')}${idSortValue(nat)}\u0000${nat.slice(end + 1)}`
}

/** The nat of a key of the ID's order (`idSortKey`); `prefixLength`: the prefix's. */
export function natOfIdSortKey(key: string, prefixLength: number): string {
  const cut = key.indexOf('\u0001', prefixLength)
  const end = key.indexOf('\u0000', cut)
  return `${key.slice(cut + 1, end)}\u0001${key.slice(prefixLength, cut)}${key.slice(end)}`
}

/**
 * A column's sort value, or null when the row has none. Values compare as plain strings in the wanted order:
 * natural order for text, ISO 8601 for instants, zero-padded digits for byte counts and measurements (temperatures in
 * °C and wind speeds in m/s, whatever units each reading was fetched in).
 */
export function sortValue(column: SortedColumn, row: IndexedRow): string | null {
  switch (column) {
    case 'deviceId':
      return idSortValue(natKey(row))
    case 'description':
      return row.description.trim() ? naturalKey(row.description) : null
    case 'simId':
      return row.simId === null ? null : naturalKey(row.simId)
    case 'simAsOf':
      return row.simAsOf
    case 'dataThisCycleBytes':
      return row.dataBytes === null ? null : String(Math.min(row.dataBytes, Number.MAX_SAFE_INTEGER)).padStart(16, '0')
    case 'updatedAt':
      return row.updatedAt
    case 'weatherPhrase':
      return row.weatherPhrase?.trim() ? naturalKey(row.weatherPhrase) : null
    case 'weatherTemperature':
      return row.temperature === null ? null : measureKey(convert(row.temperature.value, row.temperature.unit, '°C'), 1000)
    case 'weatherWindSpeed':
      return row.wind === null ? null : measureKey(convert(row.wind.value, row.wind.unit, 'm/s'), 1000)
    case 'weatherAsOf':
      return row.weatherAsOf
  }
}

const WEATHER_COLUMNS = new Set<SortedColumn>(['weatherPhrase', 'weatherTemperature', 'weatherWindSpeed', 'weatherAsOf'])

/**
 * Whether a row without a value for `column` is already told apart by its cell (no SIM: no SIM id; not read: no "as
 * of" nor data; no reading at the device's location: no weather). Only the others get an entry of their own under `z!`.
 */
export function emptyByCell(column: SortedColumn, cell: Pick<CellFields, 'carrier' | 'simStatus' | 'weatherStatus'>): boolean {
  if (column === 'simId') return cell.carrier === null
  if (column === 'simAsOf' || column === 'dataThisCycleBytes') return cell.simStatus === null || cell.simStatus === 'notCached'
  if (WEATHER_COLUMNS.has(column)) return cell.weatherStatus !== 'cached'
  return false
}

/** Every searchable word of a row: its ID, description and SIM id (its type and extensions are searched through its cell). */
export function rowWords(row: IndexedRow): string[] {
  const out = new Set(words(row.deviceId))
  for (const w of words(row.description)) out.add(w)
  if (row.simId) for (const w of words(row.simId)) out.add(w)
  return [...out]
}

/** A device's row as stored, with its cell and its searchable words before it (a search checks them without decoding the row). */
export interface StoredRow {
  cell: number
  words: string
  json: string
}

export function parseStoredRow(value: string): StoredRow {
  const a = value.indexOf('|')
  const b = value.indexOf('|', a + 1)
  return { cell: Number(value.slice(0, a)), words: value.slice(a + 1, b), json: value.slice(b + 1) }
}

/**
 * Whether a stored row (the value of `n!<nat>`) holds every term, each begun by one of its words or, for the terms
 * `byCell` says, by its cell: checked on the stored text without decoding it, as a walk through a million rows does.
 */
export function storedRowHolds(value: string, terms: readonly string[], byCell: readonly Set<number>[]): boolean {
  const a = value.indexOf('|')
  const b = value.indexOf('|', a + 1)
  const cell = Number(value.slice(0, a))
  for (let i = 0; i < terms.length; i++) {
    if (byCell[i]!.has(cell)) continue
    const term = terms[i]!
    if (value.startsWith(term, a + 1)) continue
    const at = value.indexOf(` ${term}`, a)
    if (at < 0 || at >= b) return false
  }
  return true
}

/** Every index entry of one device: key → value. `nat` is the row's natKey, when the caller has it already. */
export function entriesOf(row: IndexedRow, cell: number, nat = natKey(row)): Map<string, string> {
  const out = new Map<string, string>()
  eachEntry(row, cell, nat, (key, value) => out.set(key, value))
  return out
}

/**
 * Hands every index entry of one device to `emit`, each key once, as `entriesOf` lists them: a device new to the index
 * (an import's millions) has its entries put as they come, without a map of them.
 */
export function eachEntry(row: IndexedRow, cell: number, nat: string, emit: (key: string, value: string) => void): void {
  const c = String(cell)
  const searchable = rowWords(row)
  // Words hold no '|', space, \u0001 nor \0 (text.ts: letters, digits, '.', '_', '-').
  emit(rowKey(nat), `${c}|${searchable.join(' ')}|${encodeRow(row)}`)
  emit(`${cellPrefix(cell)}${nat}`, '')
  for (const column of SORTED_COLUMNS) {
    if (column === 'deviceId') {
      // An import indexes millions of rows: the nat holds the natural keys the ID's order is made of.
      emit(idSortKey(nat), c)
      continue
    }
    const value = sortValue(column, row)
    if (value !== null) emit(`${sortPrefix(column)}${value}\u0000${nat}`, c)
    else if (!emptyByCell(column, row)) emit(`${emptyPrefix(column)}${nat}`, c)
  }
  const id = fold(row.deviceId)
  // Any order of strings keeps the words a term begins together (here UTF-16 units'); `shared` counts in those units, as
  // a term's length does. (The row's words above are in no particular order.) Distinct words make distinct keys.
  const sorted = searchable.sort()
  for (let i = 0; i < sorted.length; i++) {
    const w = sorted[i]!
    const shared = i === 0 ? 0 : commonPrefix(sorted[i - 1]!, w)
    emit(`${w === id ? idWordPrefix(w) : wordPrefix(w)}\u0001${sharedMark(shared)}\u0000${nat}`, c)
  }
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}
