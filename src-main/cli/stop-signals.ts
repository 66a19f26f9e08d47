/**
 * How a command hears that it is asked to stop: Ctrl+C (SIGINT) in a terminal, SIGTERM from `kill`, systemd's stop or
 * a container's. Both take the same clean stop path, so that neither kills a command holding work read or
 * acknowledged and not yet written.
 */
import { constants } from 'node:os'

export type StopSignal = 'SIGINT' | 'SIGTERM'

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM']

/** The exit code of a command a signal cut short, as a shell reports a process that signal ended: 128 + its number (130, 143). */
export const signalExit = (signal: StopSignal): number => 128 + constants.signals[signal]

/** How a stop line names the signal: the key an operator pressed, or the signal a service manager sent. */
export const signalName = (signal: StopSignal): string => (signal === 'SIGINT' ? 'Ctrl+C' : 'SIGTERM')

/**
 * Resolves on the first SIGTERM or SIGINT; later ones are ignored so that a second Ctrl-C cannot cut a drain short (a
 * terminal's Ctrl-C can also arrive twice: from the terminal and from `npm start` forwarding it).
 */
export function signals(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const signal of STOP_SIGNALS) process.on(signal, () => resolve())
  })
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM, once: a second signal then does what it does by default, ending the
 * process at once (an operator's way out of a stop that waits). Returns what takes the handlers off again.
 */
export function onFirstStopSignal(stop: (signal: StopSignal) => void): () => void {
  const off = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, first)
  }
  const first = (signal: StopSignal) => {
    off()
    stop(signal)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, first)
  return off
}
