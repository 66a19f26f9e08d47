import { chmodSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Everything the core writes is the operator's alone: folders 0700, files 0600. Device lists, audit trails and logs
 * name customers' equipment; other accounts on a shared gateway or jump host must not read them. The modes are
 * POSIX; Windows ignores them, and there the data folder lives in the user's private profile already.
 */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * Creates `dir` (and missing parents) as 0700 and tightens it when an earlier version left it readable by others.
 * The tightening is best effort: a folder on a read-only disk, or owned by someone else, is used as it is.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  try {
    chmodSync(dir, PRIVATE_DIR_MODE)
  } catch {
    // Read-only or foreign: reading still works, and writing will report its own error.
  }
}

/**
 * Makes the files directly in `dir` 0600: a LevelDB folder an earlier version wrote keeps its old files until
 * compaction rewrites them. Best effort, like the folder's own tightening.
 */
export function tightenFiles(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile()) chmodSync(join(dir, entry.name), PRIVATE_FILE_MODE)
    }
  } catch {
    // Read-only or foreign: the folder's 0700 keeps others out where it could be set.
  }
}

/**
 * Files created by this process from now on are private whatever creates them: LevelDB's own files are made with
 * mode 0644 by its C++ code, out of reach of a `mode` argument. The shells call this first thing; it is
 * process-wide, so the core itself does not.
 */
export function restrictNewFiles(): void {
  process.umask(0o077)
}
