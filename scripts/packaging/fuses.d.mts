import type { FuseConfig } from '@electron/fuses'

/** The parts of electron-builder's AfterPackContext the fuse step reads. */
export interface FuseContext {
  appOutDir: string
  electronPlatformName: string
  arch: number
  packager: { appInfo: { productFilename: string }; executableName?: string }
}
export declare const FUSES: Readonly<FuseConfig & { strictlyRequireAllFuses: true }>
export declare function packagedElectronPath(context: FuseContext): string
export declare function applyFuses(context: FuseContext, flip?: (path: string, config: FuseConfig) => Promise<number>): Promise<string>
