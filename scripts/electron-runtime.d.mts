export function findElectronRuntime(root?: string): { binary: string; reason?: undefined } | { reason: string; binary?: undefined }
