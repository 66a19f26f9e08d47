/** Why a file given on the command line could not be read, in words: a bare ENOENT tells an operator little. */
const READ_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'the disk could not be read',
}

export function cannotRead(file: string, code: string): string {
  return `cannot read ${file}: ${READ_PROBLEMS[code] ?? code}`
}

/** The same from the error a read threw. */
export function cannotReadError(file: string, e: unknown): string {
  return cannotRead(file, (e as NodeJS.ErrnoException | null)?.code ?? (e instanceof Error ? e.message : String(e)))
}
