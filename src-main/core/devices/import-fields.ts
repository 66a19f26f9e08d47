/**
 * The columns a device import reads and the headers it reads as each: apart from the row checks (import-rows.ts), so
 * that `devices import --help` lists them without loading the checks' JSON Schema compiler.
 */
import { LOCATION_HEADER_ALIASES, type LocationField } from './location-cells'

/** The fields an import reads from a CSV column of their own name or of another header people write for them. */
export type ImportField = 'typeId' | 'deviceId' | 'description' | 'carrier' | 'iccid' | 'serialnumber' | LocationField

/** CSV headers people actually write (folded: case, spaces, '-' and '_' aside), mapped to the field they mean. */
const HEADER_ALIASES: Record<string, ImportField> = {
  typeid: 'typeId',
  type: 'typeId',
  devicetype: 'typeId',
  deviceid: 'deviceId',
  id: 'deviceId',
  description: 'description',
  carrier: 'carrier',
  iccid: 'iccid',
  serialnumber: 'serialnumber',
  ...LOCATION_HEADER_ALIASES,
}

/**
 * Each field an import reads from a column, with the other headers read as it, in the order of HEADER_ALIASES:
 * `devices import --help` lists them from here, so the help names every column the importer reads.
 */
export function importFields(): { field: ImportField; aliases: string[] }[] {
  const fields = new Map<ImportField, string[]>()
  for (const [header, field] of Object.entries(HEADER_ALIASES)) {
    const aliases = fields.get(field) ?? []
    if (header !== field.toLowerCase()) aliases.push(header)
    fields.set(field, aliases)
  }
  return [...fields].map(([field, aliases]) => ({ field, aliases }))
}

/** A device export's column that holds the SIM's identifier, read as the identifier its carrier takes. */
export const SIM_ID_COLUMN = 'simId'
/** Columns named `metadata.<field>` (a device export's) are that metadata field. */
export const METADATA_COLUMN = 'metadata.'

export function canonicalHeader(name: string): string {
  const folded = name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
  return HEADER_ALIASES[folded] ?? name.trim()
}
