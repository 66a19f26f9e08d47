/**
 * Why a file given on the command line could not be read or written, in words: a bare ENOENT tells an operator little.
 * One table for both directions; only what a missing path or a disk error means differs between them (a file to read is
 * missing itself, a file to write is created, so its folder is what is missing).
 */
const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
  ENOSPC: 'the disk is full',
}

type Direction = 'read' | 'write'

const BY_DIRECTION: Readonly<Record<Direction, Readonly<Record<string, string>>>> = {
  read: { ENOENT: 'no such file', EIO: 'the disk could not be read' },
  write: { ENOENT: 'its folder does not exist', EIO: 'the disk could not be written' },
}

function fileProblem(direction: Direction, file: string, code: string): string {
  return `cannot ${direction} ${file}: ${BY_DIRECTION[direction][code] ?? FILE_PROBLEMS[code] ?? code}`
}

/** Why a folder could not be created, in words (`mkdir` says ENOTDIR for a file on its path). */
export function cannotCreateWords(e: unknown): string {
  const code = codeOf(e)
  return BY_DIRECTION.write[code] ?? FILE_PROBLEMS[code] ?? code
}

/** The code, or the message of an error that has none. */
function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? (e instanceof Error ? e.message : String(e))
}

export function cannotRead(file: string, code: string): string {
  return fileProblem('read', file, code)
}

/** The same from the error a read threw. */
export function cannotReadError(file: string, e: unknown): string {
  return cannotRead(file, codeOf(e))
}

/** Why an export's file could not be opened or written, from the error the write threw. */
export function cannotWrite(file: string, e: unknown): string {
  return fileProblem('write', file, codeOf(e))
}
