/**
 * Electron fuses: switches compiled into the Electron binary, flipped once at package time (after electron-builder
 * has laid the app out and before it signs it, so the signature covers them). They close doors that no runtime
 * code can: a packaged Fieldline cannot be turned into a plain Node (ELECTRON_RUN_AS_NODE), given NODE_OPTIONS
 * or --inspect to run someone else's code with its keychain access and code-signing identity, or made to load
 * an app folder put beside or instead of its verified app.asar.
 *
 * Every fuse the binary has must be set here (strictlyRequireAllFuses): an Electron upgrade that adds one fails
 * the packaging until someone decides it. test/unit/electron-fuses.test.ts fails if one is relaxed.
 */
import { join } from 'node:path'
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses'

export const FUSES = Object.freeze({
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  // ELECTRON_RUN_AS_NODE would make the signed binary a general-purpose Node.
  [FuseV1Options.RunAsNode]: false,
  // Cookies and other Chromium storage encrypted with a key in the OS keychain.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS (--require, --import) would inject code into main.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect and friends would open a debugger on main; Playwright drives an unpackaged build instead.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // The app.asar hash is checked against the one embedded at package time (macOS and Windows; Electron has no
  // Linux support for it yet, so there OnlyLoadAppFromAsar and the package manager's own checks stand alone).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // Only resources/app.asar is loaded: no resources/app folder, no default_app.asar.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // Fieldline ships no separate browser-process V8 snapshot.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The window loads from app://, so file:// pages need none of their legacy extra privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  // Electron's default: WebAssembly bounds checks by signal handler, not by slower inline checks.
  [FuseV1Options.WasmTrapHandlers]: true,
})

/** Where the fuse wire lives in a packaged app: the executable (Windows, Linux) or the .app bundle (macOS). */
export function packagedElectronPath({ appOutDir, electronPlatformName, packager }) {
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(appOutDir, `${packager.appInfo.productFilename}.app`)
    case 'win32':
      return join(appOutDir, `${packager.appInfo.productFilename}.exe`)
    default:
      return join(appOutDir, packager.executableName)
  }
}

/** electron-builder's Arch enum: 3 is arm64, 4 universal. */
const ARM64 = 3
const UNIVERSAL = 4

/**
 * The afterPack step. Flipping fuses rewrites the binary; on Apple silicon an unsigned binary whose ad-hoc
 * signature no longer matches is killed at launch, so it is re-signed ad hoc (a real identity, in CI, signs
 * over it right after).
 */
export async function applyFuses(context, flip = flipFuses) {
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas'
  const resetAdHocDarwinSignature = darwin && (context.arch === ARM64 || context.arch === UNIVERSAL)
  const target = packagedElectronPath(context)
  const wires = await flip(target, { ...FUSES, resetAdHocDarwinSignature })
  if (wires < 1) throw new Error(`@electron/fuses found no fuse wire in ${target}`)
  return target
}
