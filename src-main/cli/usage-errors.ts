import type { Command } from 'commander'

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

/** Every command of the tree says its usage errors with `usageLine`; set once the tree is built. */
export function sayUsageErrorsInOneLine(command: Command): void {
  command.configureOutput({ outputError: (message, write) => write(usageLine(command, message)) })
  for (const sub of command.commands) sayUsageErrorsInOneLine(sub)
}
