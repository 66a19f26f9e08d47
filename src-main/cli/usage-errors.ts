import { Command, type HelpContext } from 'commander'

/** `fieldline devices import`: the words an operator types to reach a command. */
function pathOf(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * Commander's refusal of a command line ("error: missing required argument 'file'", "error: unknown command 'x'\n(Did
 * you mean y?)") as one line in Fieldline's words, with where to read more. The whole help after it buried the error
 * (cold trial), and every other refusal starts with `fieldline:`.
 */
export function usageLine(command: Command, message: string): string {
  const said = message
    .replace(/^error:\s*/, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
  return `fieldline: ${said} (see \`${pathOf(command)} --help\`)\n`
}

/**
 * An option's value that names something (a profile, a target, a file, a folder, a job's targets as a device query):
 * empty, it names nothing.
 */
const NAMING_VALUE = /<(id|profile|file|dir|query)>/

/**
 * Refuses `--profile=` and the like, on the command being run or a group above it, as a usage error. Commander takes
 * the empty value, and the commands then read it as the option left out (cold trial: `historian run --profile=` said
 * "No historian profile yet", `--data-dir=` opened the desktop app's own workspace): a script whose variable came out
 * empty must fail instead, before anything is opened.
 */
export function refuseEmptyNames(command: Command): void {
  for (let c: Command | null = command; c; c = c.parent) {
    for (const option of c.options) {
      if (NAMING_VALUE.test(option.flags) && c.getOptionValue(option.attributeName()) === '') {
        command.error(`option '${option.flags}' is empty`, { code: 'fieldline.emptyOption' })
      }
    }
  }
}

/** Every command of the tree says its usage errors with `usageLine`; set once the tree is built. */
export function sayUsageErrorsInOneLine(command: Command): void {
  command.configureOutput({ outputError: (message, write) => write(usageLine(command, message)) })
  for (const sub of command.commands) sayUsageErrorsInOneLine(sub)
}

/**
 * The `fieldline` command tree. A group typed without its command (`fieldline devices`, `fieldline` alone) is a usage
 * error like any other, said in one line that lists the group's commands, with exit 2: commander printed the whole help
 * on stderr instead, unlike every other usage error. git also refuses a bare group (`git worktree`: usage, exit 129)
 * rather than succeed as kubectl does, so that a script whose command came out empty fails. `--help` still prints the
 * help, on stdout, with exit 0.
 */
export class FieldlineCommand extends Command {
  override createCommand(name?: string): FieldlineCommand {
    return new FieldlineCommand(name)
  }

  // Commander's own answer to a group typed alone is `help({ error: true })` with nothing after the group's name.
  override help(context?: HelpContext): never
  override help(cb: (str: string) => string): never
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error === true && this.commands.length > 0 && this.args.length === 0) {
      const names = this.createHelp()
        .visibleCommands(this)
        .map((c) => c.name())
        .filter((n) => n !== 'help')
      const after = pathOf(this).split(' ').slice(1).join(' ')
      this.error(`missing command${after ? ` after '${after}'` : ''}: ${names.join(', ')}`, { code: 'fieldline.missingCommand' })
    }
    // `help nosuch`: commander looks the name up, finds nothing and prints the whole help as an error, where a command
    // typed wrong without `help` is one line with the nearest name. Said the same way, by commander's own refusal (public
    // in its JavaScript, left out of its typings), which reads the unknown name from `args`.
    const [first, asked] = this.args
    const known = (name: string) =>
      this.createHelp()
        .visibleCommands(this)
        .some((c) => c.name() === name || c.aliases().includes(name))
    if (typeof context === 'object' && context.error === true && first === 'help' && asked !== undefined && !known(asked)) {
      this.args = [asked]
      ;(this as unknown as { unknownCommand(): never }).unknownCommand()
    }
    // Whichever of the two forms it was called with (TypeScript picks an overload per call).
    return typeof context === 'function' ? super.help(context) : super.help(context)
  }
}
