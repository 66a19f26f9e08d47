import { describeIssue, issueFacts } from '../../src-shared/models/input-issues'
import { countText } from '../../src-shared/models/count-text'
import {
  DEVICE_COLUMNS,
  deviceFiltersSchema,
  FACET_FIELDS,
  FILTER_FIELDS,
  hasSearchWord,
  listColumnSchema,
  SIM_NOT_CACHED,
  type DeviceFilters,
  type DeviceQueryInput,
  type FacetField,
  type ListColumn,
} from '../../src-shared/models/device-query'
import { SIM_STATUSES } from '../../src-shared/models/sim'
import { CliError, EXIT } from './runtime'

/** What `devices list`, `count` and `export` take to say which devices: a search, filters, and an order (not `count`). */
export interface QueryOptions {
  query: string
  filter: string[]
  sort?: string
  desc?: boolean
}

const BOOLEAN_FIELDS = new Set<string>(['configErrors', 'dmSupport'])

/** A SIM status as the carrier writes it (ACTIVATED, TEST_READY, as `sim status` takes them) or as Fieldline does (testReady). */
const simStatusOf = (value: string): string => [...SIM_STATUSES, SIM_NOT_CACHED].find((s) => s.toLowerCase() === value.replace(/_/g, '').toLowerCase()) ?? value

function usage(message: string): CliError {
  return new CliError(`fieldline: ${message}`, EXIT.usage)
}

/**
 * `--filter FIELD=VALUE`, repeatable: values of one field are alternatives (`--filter carrier=jasper --filter
 * carrier=atnt`, or `carrier=jasper,atnt`), different fields must all hold. The values themselves are checked by the
 * core, like the UI's.
 */
export function parseFilters(given: readonly string[]): DeviceFilters {
  const filters: Record<string, unknown> = {}
  for (const item of given) {
    const eq = item.indexOf('=')
    const field = eq < 0 ? item : item.slice(0, eq)
    if (eq < 0 || !(FILTER_FIELDS as readonly string[]).includes(field)) throw usage(`--filter takes FIELD=VALUE with FIELD one of ${FILTER_FIELDS.join(', ')} (got "${item.slice(0, 60)}")`)
    const value = item.slice(eq + 1)
    if (value.split(',').some((v) => v.trim() === '')) throw usage(`--filter ${field}= needs a value (several are separated by commas)`)
    if (BOOLEAN_FIELDS.has(field)) {
      if (value !== 'true' && value !== 'false') throw usage(`--filter ${field}= takes true or false`)
      filters[field] = value === 'true'
    } else filters[field] = [...new Set([...((filters[field] as string[] | undefined) ?? []), ...value.split(',').map((v) => (field === 'simStatus' ? simStatusOf(v) : v))])]
  }
  // Checked here too, so that a value the core refuses is named with the values the field takes: `devices count` and
  // `export` send a selection whose refusal says only "selection: Invalid input".
  const checked = deviceFiltersSchema.safeParse(filters)
  if (!checked.success) {
    const issue = checked.error.issues[0]!
    const [field, index] = issue.path
    const got = typeof index === 'number' ? (filters[String(field)] as unknown[])[index] : undefined
    const given = got === undefined ? '' : ` (got "${String(got).slice(0, 60)}")`
    if (issue.code === 'invalid_value') throw usage(`--filter ${String(field)}= takes ${issue.values.map(String).join(', ')}${given}`)
    if (issue.code === 'too_big') throw usage(`--filter ${String(field)}= takes at most ${countText(Number(issue.maximum))} values`)
    throw usage(`${describeIssue(`--filter ${String(field)}=`, issueFacts(issue, String(field), { input: filters }))}${given}`)
  }
  return filters as DeviceFilters
}

export function queryOf(o: QueryOptions): DeviceQueryInput {
  if (o.sort !== undefined && !(DEVICE_COLUMNS as readonly string[]).includes(o.sort)) throw usage(`--sort takes one of ${DEVICE_COLUMNS.join(', ')}`)
  // A script that searches for nothing would act on every device: refused rather than answered with all of them.
  if (o.query.trim() !== '' && !hasSearchWord(o.query)) throw usage(`--query "${o.query}" has no letter or digit to search for`)
  return { text: o.query, filters: parseFilters(o.filter), ...(o.sort ? { sort: o.sort as DeviceQueryInput['sort'] } : {}), descending: o.desc === true }
}

/** `--columns a,b,c`: column names, or `metadata.<field>`. */
export function parseColumns(text: string): ListColumn[] {
  const columns = text.split(',').map((c) => c.trim())
  for (const c of columns) if (!listColumnSchema.safeParse(c).success) throw usage(`unknown column "${c.slice(0, 60)}": use ${DEVICE_COLUMNS.join(', ')} or metadata.<field>`)
  return columns as ListColumn[]
}

export function parseFacet(text: string | undefined): FacetField[] {
  if (text === undefined) return []
  if (!(FACET_FIELDS as readonly string[]).includes(text)) throw usage(`--by takes one of ${FACET_FIELDS.join(', ')}`)
  return [text as FacetField]
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value]
