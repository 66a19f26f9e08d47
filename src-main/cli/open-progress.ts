import type { OpenProgress } from '../core/app'

export interface ProgressOutput {
  write(text: string): unknown
  isTTY?: boolean
}

/** A fast open says nothing; one that takes longer than this says how far it has got. */
const QUIET_MS = 1000
/** Without a terminal (a log file, a pipe), one line at most this often instead of a line rewritten in place. */
const LINE_EVERY_MS = 5000

/**
 * Reports on stderr how far opening the workspace has got, once it takes more than a moment: a workspace of a
 * million devices takes a minute to open (its whole device list is read), which must not look like a hang.
 */
export function openProgressReporter(out: ProgressOutput): (p: OpenProgress) => void {
  let shownAt = -Infinity
  const count = (n: number) => n.toLocaleString('en-US')
  return (p) => {
    if (p.elapsedMs < QUIET_MS) return
    const seconds = (p.elapsedMs / 1000).toFixed(1)
    if (p.done) {
      out.write(`${out.isTTY ? '\r' : ''}fieldline: workspace opened: ${count(p.devices)} devices in ${seconds} s\n`)
    } else if (out.isTTY) {
      out.write(`\rfieldline: opening the workspace: ${count(p.devices)} devices read (${seconds} s)`)
    } else if (p.elapsedMs - shownAt >= LINE_EVERY_MS) {
      shownAt = p.elapsedMs
      out.write(`fieldline: opening the workspace: ${count(p.devices)} devices read (${seconds} s)\n`)
    }
  }
}
