import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../../src-main/core/common/errors'
import { checkNativeModules, classifyLoadError, NATIVE_MODULES, NativeModuleError, requireFrom, type NativeModuleProblem } from '../../src-main/electron/native-modules'
import { startupFailure, startupLanguage, startupText } from '../../src-main/electron/startup-messages'

/** Node's own text (src/node_binding.cc), which Electron's embedded Node prints unchanged. */
const ABI_TEXT =
  "The module '/opt/Fieldline/resources/app.asar.unpacked/node_modules/keytar/build/Release/keytar.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 137. This version of Node.js requires\nNODE_MODULE_VERSION 140. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`)."
const dlopen = (message: string) => Object.assign(new Error(message), { code: 'ERR_DLOPEN_FAILED' })

/** An app folder whose packages fail to load the way broken installations do, with Node's real loader. */
const app = mkdtempSync(join(tmpdir(), 'fieldline-native-'))
function pkg(name: string, main: string, files: Record<string, string> = {}) {
  const dir = join(app, 'node_modules', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, main: 'index.js' }))
  writeFileSync(join(dir, 'index.js'), main)
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
}
// Bigger than any executable header, so every loader reads it and refuses its format.
pkg('wrongbinary', "module.exports = require('./binding.node')", { 'binding.node': 'x'.repeat(4096) })
pkg('outer', "module.exports = require('inner')")
mkdirSync(join(app, 'node_modules', 'outer', 'node_modules'), { recursive: true })
const appLoader = requireFrom(pathToFileURL(join(app, 'main.js')).href)
afterAll(() => rmSync(app, { recursive: true, force: true }))

describe('checkNativeModules', () => {
  it('loads keytar and both leveldowns of this installation, each along the chain that really requires it', () => {
    expect(NATIVE_MODULES.map((m) => [...m.via, m.name].join('>'))).toEqual(['keytar', 'pouchdb>leveldown', 'pouchdb>level>leveldown'])
    expect(checkNativeModules(requireFrom(import.meta.url))).toEqual([])
  })

  it('reports a binary for another system or processor, from the real loader', () => {
    const [problem] = checkNativeModules(appLoader, [{ name: 'wrongbinary', via: [], neededFor: 'workspace' }])
    expect(problem).toMatchObject({ module: 'wrongbinary', kind: 'platform', blocking: true })
  })

  it('reports a package missing from the installation, also one level down', () => {
    const problems = checkNativeModules(appLoader, [
      { name: 'leveldown', via: [], neededFor: 'workspace' },
      { name: 'inner', via: ['outer'], neededFor: 'workspace' },
    ])
    expect(problems.map((p) => [p.module, p.kind])).toEqual([
      ['leveldown', 'missing'],
      ['inner', 'missing'],
    ])
  })

  it('puts blocking problems first and lets a keychain library the system lacks through', () => {
    const failures: Record<string, Error> = {
      keytar: dlopen('libsecret-1.so.0: cannot open shared object file: No such file or directory'),
      leveldown: dlopen(ABI_TEXT),
    }
    const load = (name: string) => {
      if (failures[name]) throw failures[name]
    }
    const problems = checkNativeModules(load)
    expect(problems.map((p) => [p.module, p.kind, p.blocking])).toEqual([
      ['leveldown', 'abi', true],
      ['leveldown', 'abi', true],
      ['keytar', 'library', false],
    ])
    expect(problems[0]!.detail).not.toContain('\n')
  })

  it('blocks on a keytar built wrong: that is a broken installation, not a missing keychain', () => {
    const problems = checkNativeModules((name) => {
      if (name === 'keytar') throw dlopen(ABI_TEXT)
    })
    expect(problems).toMatchObject([{ module: 'keytar', kind: 'abi', builtFor: 137, needs: 140, blocking: true }])
  })
})

describe('classifyLoadError', () => {
  it('reads both module versions of an ABI mismatch', () => {
    expect(classifyLoadError(dlopen(ABI_TEXT))).toEqual({ kind: 'abi', builtFor: 137, needs: 140 })
  })

  it.each([
    ["Module did not self-register: '/x/keytar.node'.", 'abi'],
    ['/x/leveldown.node: undefined symbol: _ZN2v87Isolate7GetCurrentEv', 'abi'],
    ['/x/keytar.node: invalid ELF header', 'platform'],
    ['/x/keytar.node: wrong ELF class: ELFCLASS32', 'platform'],
    ['\\\\?\\C:\\Fieldline\\resources\\app.asar.unpacked\\node_modules\\keytar\\build\\Release\\keytar.node is not a valid Win32 application.', 'platform'],
    ["dlopen(/x/keytar.node, 0x0001): tried: '/x/keytar.node' (mach-o file, but is an incompatible architecture (have 'x86_64', need 'arm64e' or 'arm64'))", 'platform'],
    ['No native build was found for platform=darwin arch=arm64 runtime=electron abi=140 uv=1 armv=8 libc=glibc node=24.11.1 electron=45.5.0\n    loaded from: /x/leveldown\n', 'platform'],
    ['libsecret-1.so.0: cannot open shared object file: No such file or directory', 'library'],
    ['dlopen(/x/keytar.node, 0x0001): Library not loaded: /usr/lib/libfoo.dylib', 'library'],
    ['The specified module could not be found.\r\n\\\\?\\C:\\x\\keytar.node', 'library'],
    ['something else entirely', 'other'],
  ])('classifies %s as %s', (text, kind) => {
    expect(classifyLoadError(dlopen(text)).kind).toBe(kind)
  })

  it('classifies a missing package by its code', () => {
    expect(classifyLoadError(Object.assign(new Error("Cannot find module 'keytar'"), { code: 'MODULE_NOT_FOUND' })).kind).toBe('missing')
    expect(classifyLoadError('not an error').kind).toBe('other')
  })
})

describe('start-up messages', () => {
  it('speaks the first system language Fieldline has, else English', () => {
    expect(startupLanguage(['fr-CA', 'en-US'])).toBe('fr')
    expect(startupLanguage(['de-DE', 'fr_FR'])).toBe('fr')
    expect(startupLanguage(['de-DE', 'EN'])).toBe('en')
    expect(startupLanguage([])).toBe('en')
  })

  const kinds: NativeModuleProblem['kind'][] = ['abi', 'platform', 'missing', 'library', 'other']
  it.each(['en', 'fr'] as const)('names the module and leaves no placeholder unfilled, for every kind, in %s', (language) => {
    for (const kind of kinds) {
      const problem: NativeModuleProblem = { module: 'leveldown', kind, builtFor: 137, needs: 140, detail: 'dlopen said no', blocking: true }
      const { title, message } = startupFailure(new NativeModuleError(problem), language, 'darwin arm64')
      expect(title, kind).toBe(startupText(language, 'startup.nativeTitle'))
      expect(message, kind).toContain('leveldown')
      expect(message, kind).not.toMatch(/\{\w+\}/)
    }
    expect(startupFailure(new NativeModuleError({ module: 'keytar', kind: 'platform', detail: 'x', blocking: true }), language, 'darwin arm64').message).toContain('darwin arm64')
  })

  it('translates a vault error by its reference and keeps an untranslated error as it is', () => {
    const vault = AppError.withRef('VAULT_UNAVAILABLE', 'The OS keychain is unavailable (no bus).', { key: 'errors.vaultUnavailable', params: { reason: 'no bus' } })
    const fr = startupFailure(vault, 'fr')
    expect(fr.title).toBe('Fieldline n’a pas accès au trousseau du système')
    expect(fr.message).toContain('Le trousseau du système est indisponible (no bus)')
    expect(startupFailure(new Error('workspace is locked'), 'fr')).toEqual({ title: 'Fieldline n’a pas pu démarrer', message: 'workspace is locked' })
    expect(startupFailure(new AppError('INTERNAL', 'boom'), 'en')).toEqual({ title: 'Fieldline could not start', message: 'boom' })
  })
})
