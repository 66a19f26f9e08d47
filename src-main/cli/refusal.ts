import type { Command } from 'commander'
import type { ErrorInfo } from '../../src-shared/contract'
import { describeIssue } from '../../src-shared/models/input-issues'

/** How the operator typed each field a command sends: `typeId` → `<typeId>`, `description` → `--description`. */
export type FieldNames = ReadonlyMap<string, string>

/** The names of the command being run, from its own arguments and options: no command keeps a list of its own. */
export function fieldNamesOf(command: Command | undefined): FieldNames {
  const names = new Map<string, string>()
  if (!command) return names
  for (const a of command.registeredArguments) names.set(a.name(), `<${a.name()}>`)
  for (const o of command.options) if (o.long) names.set(o.attributeName(), o.long)
  // A `<file>` argument is sent as its `text` (`devices config set`, `dm add`): a refusal of the text is one of the file,
  // not of a "text" the operator never typed (cold trial: "fieldline: text must be at most 6 MB").
  if (names.has('file') && !names.has('text')) names.set('text', names.get('file')!)
  return names
}

/** A field's path as the operator knows it; a field no argument or option of the command gives keeps its path. */
function nameOf(path: string, names: FieldNames): string {
  const [first = '', ...rest] = path.split('.')
  const typed = names.get(first)
  if (typed) return rest.length > 0 ? `${typed} (${rest.join('.')})` : typed
  // A nested field an option of its own name gives (`condition.bytes` from --bytes).
  const nested = rest.length > 0 ? names.get(rest.at(-1)!) : undefined
  if (nested) return nested
  // An argument typed as <id> is the one id the command sends, whatever the field is called (jobId, assetId).
  const id = first.endsWith('Id') ? names.get('id') : undefined
  return id ?? (path === '' ? 'the input' : path)
}

/**
 * A refusal as the CLI prints it. A validation error says, field by field, which argument or option is wrong and what
 * it takes, not the core's "Invalid input for devices:add: description: …" (an internal channel name the operator
 * never typed); any other error says its message.
 */
export function refusalText(error: ErrorInfo, names: FieldNames): string {
  const issues = error.code === 'VALIDATION' ? error.details?.issues : undefined
  if (!issues?.length) return `fieldline: ${error.message}`
  // One refusal a field: a 300-character id is too long, and saying its letters are wrong too adds nothing.
  const firstOfEach = issues.filter((issue, n) => issues.findIndex((i) => i.path === issue.path) === n)
  return firstOfEach.map((i) => `fieldline: ${describeIssue(nameOf(i.path, names), i)}`).join('\n')
}
