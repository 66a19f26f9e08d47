export declare function pngSize(png: Buffer): { width: number; height: number }
export declare function encodeIco(pngs: readonly Buffer[]): Buffer
export declare function decodeIco(ico: Buffer): { width: number; height: number; png: Buffer }[]
export declare const ICNS_TYPES: readonly (readonly [string, number])[]
export declare function encodeIcns(pngsBySize: ReadonlyMap<number, Buffer>): Buffer
export declare function decodeIcns(icns: Buffer): [string, Buffer][]
