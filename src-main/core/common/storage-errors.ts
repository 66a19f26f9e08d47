import { AppError } from './errors'

/** What stops the core from writing its data folder: no space left, or a folder it may not write (read-only disk, permissions). */
export type StorageProblem = 'full' | 'read-only'

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT'])
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM'])

/**
 * Recognises a storage failure from Node's fs (an errno `code`) or from LevelDB, whose errors carry only text
 * ("IO error: …/000003.log: No space left on device").
 */
export function storageProblem(error: unknown): StorageProblem | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : ''
  if ((typeof code === 'string' && FULL_CODES.has(code)) || /No space left on device|Disk quota exceeded/.test(message)) return 'full'
  if ((typeof code === 'string' && READ_ONLY_CODES.has(code)) || /Read-only file system|Permission denied/.test(message)) return 'read-only'
  return undefined
}

/**
 * The operator's version of a storage failure: DISK_FULL, or FORBIDDEN for a data folder that cannot be written.
 * Undefined for any other failure (which stays INTERNAL, its text unshown).
 */
export function storageError(error: unknown, dataDir: string): AppError | undefined {
  const problem = storageProblem(error)
  return problem === undefined ? undefined : storageProblemError(problem, dataDir)
}

/** Why nothing can be changed in a data folder with this problem (a workspace opened read-only knows it already). */
export function storageProblemError(problem: StorageProblem, dataDir: string): AppError {
  if (problem === 'full') {
    return AppError.withRef('DISK_FULL', `The disk holding ${dataDir} is full, so the change was not saved`, { key: 'errors.diskFull', params: { dir: dataDir } })
  }
  return AppError.withRef('FORBIDDEN', `The data folder ${dataDir} cannot be written to (it is read-only or full); nothing can be changed`, {
    key: 'errors.readOnlyData',
    params: { dir: dataDir },
  })
}

/**
 * LevelDB's refusal to open a folder another process holds open (its LOCK file: POSIX "lock …: Resource temporarily
 * unavailable", or "already held by process" within one process), as the operator's error: another Fieldline — the
 * desktop app, serve mode, a running command — uses this data folder.
 */
export function dataDirInUse(error: unknown, dataDir: string): AppError | undefined {
  const message = error instanceof Error ? error.message : ''
  if (!/\block\b.*LOCK.*(Resource temporarily unavailable|already held by process)/s.test(message)) return undefined
  return AppError.withRef(
    'FORBIDDEN',
    `The data folder ${dataDir} is in use by another Fieldline (the desktop app, serve mode or a command still running): close it, or give this one another --data-dir. A job run in progress pauses with Ctrl-C in its own terminal`,
    {
      key: 'errors.dataDirInUse',
      params: { dir: dataDir },
    },
  )
}
