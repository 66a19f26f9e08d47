import type { OpenProgress } from '../core/app'
import { countText } from '../../src-shared/models/count-text'

export interface ProgressOutput {
  write(text: string): unknown
  isTTY?: boolean
}

/** A fast open says nothing; one that takes longer than this says how far it has got. */
const QUIET_MS = 1000
/**
 * Without a terminal (a log file, a pipe), a progress line this often instead of a line rewritten in place: opening
 * the workspace, exporting and importing alike, so one log reads at one pace.
 */
export const LINE_EVERY_MS = 5000

/**
 * Reports on stderr how far opening the workspace has got, once it takes more than a moment: the first open of a
 * workspace of a million devices by this release builds its device index (a few minutes, once), and catching up after
 * a crash can take a while too; neither must look like a hang.
 */
export function openProgressReporter(out: ProgressOutput): (p: OpenProgress) => void {
  let shownAt = -Infinity
  return (p) => {
    if (p.elapsedMs < QUIET_MS) return
    const seconds = (p.elapsedMs / 1000).toFixed(1)
    // The workspace holds more than devices (the SIM and weather caches, the trail): once every device is indexed the
    // build reads the rest, and a count that no longer moves for a minute looked like a hang (cold trial, a million).
    const read = p.building && p.changes > p.devices ? `, ${countText(p.changes)} documents read` : ''
    const doing = p.building ? `building the device index (once): ${countText(p.devices)} devices indexed${read}` : `catching up the device index: ${countText(p.devices)} devices`
    if (p.done) {
      out.write(`${out.isTTY ? '\r' : ''}fieldline: workspace opened: ${countText(p.devices)} devices in ${seconds} s\n`)
    } else if (out.isTTY) {
      out.write(`\rfieldline: ${doing} (${seconds} s)`)
    } else if (p.elapsedMs - shownAt >= LINE_EVERY_MS) {
      shownAt = p.elapsedMs
      out.write(`fieldline: ${doing} (${seconds} s)\n`)
    }
  }
}
