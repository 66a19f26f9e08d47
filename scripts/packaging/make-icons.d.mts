export declare const LINUX_SIZES: readonly number[]
export declare const ICO_SIZES: readonly number[]
export declare function chromiumPath(): string | undefined
export declare function makeIcons(svgPath?: string, out?: string): Promise<string>
