/**
 * Files named by FIELDLINE_*_FILE variables, read the one way every command reads them: the variable's name and why
 * its file cannot be read (file-problems.ts), and for a CA file, that it holds PEM certificates as a profile's CA field
 * must (parseCaBundle), so a wrong file is said at start, not as a TLS failure later. The errors are plain: each command
 * wraps them in its own usage error.
 */
import { readFileSync } from 'node:fs'
import { isAppError } from '../core/common/errors'
import { parseCaBundle } from '../core/http/trust'
import { cannotReadError } from './file-problems'

/** The text of the file `name` names; undefined when the variable is unset or blank. */
export function readFileVariable(env: Record<string, string | undefined>, name: string): string | undefined {
  const path = env[name]?.trim()
  if (!path) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`${name}: ${cannotReadError(path, e)}`)
  }
}

/** The private CA the file `name` names, as the PEM text a profile's CA field holds; undefined when unset. */
export function readCaVariable(env: Record<string, string | undefined>, name: string): string[] | undefined {
  const pem = readFileVariable(env, name)
  if (pem === undefined) return undefined
  try {
    parseCaBundle([pem])
  } catch (e) {
    if (!isAppError(e)) throw e
    throw new Error(`${name}: ${env[name]!.trim()}: ${e.message}`)
  }
  return [pem]
}
