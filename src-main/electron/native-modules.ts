/**
 * The native modules the desktop app loads, checked once at start-up. A module compiled for Node instead of
 * Electron, or for another system or processor, fails inside `process.dlopen` with an error that means
 * nothing to an operator (ERR_DLOPEN_FAILED, "NODE_MODULE_VERSION 137 … requires NODE_MODULE_VERSION 140"),
 * and would do so deep inside the workspace or the vault. Here it becomes one named, translated problem
 * before anything opens. Pure (no 'electron' import): the loader is a parameter.
 */
import { createRequire } from 'node:module'

export interface NativeModule {
  /** The package holding the `.node` binary. */
  name: string
  /** The packages it is required from, outermost first: it is resolved the way they resolve it. */
  via: readonly string[]
  /**
   * `workspace`: nothing works without it. `vault`: only the keychain needs it, and the vault already turns
   * a keychain library that cannot load for a system reason (libsecret missing) into VAULT_UNAVAILABLE.
   */
  neededFor: 'workspace' | 'vault'
}

/**
 * pouchdb loads leveldown twice over: its own (LevelDB adapter) and level's, a different major version with
 * its own prebuilt binaries (no macOS arm64 build: @electron/rebuild compiles it there at package time).
 */
export const NATIVE_MODULES: readonly NativeModule[] = [
  { name: 'keytar', via: [], neededFor: 'vault' },
  { name: 'leveldown', via: ['pouchdb'], neededFor: 'workspace' },
  { name: 'leveldown', via: ['pouchdb', 'level'], neededFor: 'workspace' },
]

/**
 * - `abi`: built for another Node or Electron (NODE_MODULE_VERSION mismatch, or the symptoms of one).
 * - `platform`: built for another system or processor, or no build at all for this one.
 * - `missing`: the package is not in the installation.
 * - `library`: a system library it links against is missing (libsecret for keytar).
 */
export type NativeProblemKind = 'abi' | 'platform' | 'missing' | 'library' | 'other'

export interface NativeModuleProblem {
  module: string
  kind: NativeProblemKind
  /** NODE_MODULE_VERSION the binary was built for, and the one this runtime needs (ABI mismatches only). */
  builtFor?: number
  needs?: number
  /** The loader's own message on one line, for the log and the details of the dialog. */
  detail: string
  /** Whether the app can start without it. */
  blocking: boolean
}

const ABI_MISMATCH = /NODE_MODULE_VERSION (\d+)\.\s+This version of (?:Node\.js|Electron) requires\s+NODE_MODULE_VERSION (\d+)/
/** Other faces of a module built against another runtime: a missing V8/Node symbol, no registration. */
const ABI_SYMPTOMS = [/Module did not self-register/, /undefined symbol/, /Symbol not found/, /The specified procedure could not be found/]
const PLATFORM = [
  /invalid ELF header/,
  /wrong ELF class/,
  /ELF file's phentsize not the expected size/,
  /cannot open shared object file: Exec format error/,
  /is not a valid Win32 application/,
  /incompatible architecture/,
  /not a mach-o file/,
  /No native build was found/,
]
const LIBRARY = [/cannot open shared object file/, /Library not loaded/, /The specified module could not be found/]

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function code(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined
}

export function classifyLoadError(error: unknown): Pick<NativeModuleProblem, 'kind' | 'builtFor' | 'needs'> {
  const text = message(error)
  const abi = ABI_MISMATCH.exec(text)
  if (abi) return { kind: 'abi', builtFor: Number(abi[1]), needs: Number(abi[2]) }
  if (PLATFORM.some((p) => p.test(text))) return { kind: 'platform' }
  if (ABI_SYMPTOMS.some((p) => p.test(text))) return { kind: 'abi' }
  if (LIBRARY.some((p) => p.test(text))) return { kind: 'library' }
  if (code(error) === 'MODULE_NOT_FOUND' || code(error) === 'ERR_MODULE_NOT_FOUND') return { kind: 'missing' }
  return { kind: 'other' }
}

/** Requires `name` from inside each package of `via` in turn, as that chain of packages would. */
export type NativeLoader = (name: string, via: readonly string[]) => unknown

/** The real loader, resolving from `base` (main's own file: inside app.asar once packaged). */
export function requireFrom(base: string): NativeLoader {
  return (name, via) => {
    let require = createRequire(base)
    for (const step of via) require = createRequire(require.resolve(step))
    return require(name)
  }
}

/** Loads every native module once and reports the ones that failed, most serious first. */
export function checkNativeModules(load: NativeLoader, modules: readonly NativeModule[] = NATIVE_MODULES): NativeModuleProblem[] {
  const problems: NativeModuleProblem[] = []
  for (const module of modules) {
    try {
      load(module.name, module.via)
    } catch (error) {
      const found = classifyLoadError(error)
      // A keychain library the system lacks is the vault's to report; a keytar built wrong is a broken install.
      const blocking = module.neededFor === 'workspace' || found.kind !== 'library'
      problems.push({ module: module.name, ...found, detail: message(error).replace(/\s+/g, ' ').slice(0, 400), blocking })
    }
  }
  return problems.sort((a, b) => Number(b.blocking) - Number(a.blocking))
}

/** Thrown by start-up for a blocking problem, so the failure dialog can name it. */
export class NativeModuleError extends Error {
  // A declared field, not a parameter property: scripts/packaging/verify-package.mjs loads this file with
  // Node's type stripping, which does not rewrite constructors.
  readonly problem: NativeModuleProblem

  constructor(problem: NativeModuleProblem) {
    super(`Native module ${problem.module} cannot load (${problem.kind}): ${problem.detail}`)
    this.name = 'NativeModuleError'
    this.problem = problem
  }
}
