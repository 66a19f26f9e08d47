export function findElectronRuntime(): { binary: string; reason?: undefined } | { reason: string; binary?: undefined }
