import { X509Certificate } from 'node:crypto'
import tls from 'node:tls'
import { pemCertificates } from '../../../src-shared/models/transport-rules'
import { AppError } from '../common/errors'

/**
 * Certificate trust for every TLS client of the core (HTTP, MQTT, SMTP): verification is never switched off, and a
 * profile's private CA is added to the bundled and system roots rather than replacing them.
 */
let trustedRoots: string[] | undefined

/** Bundled (Mozilla) and operating-system roots, so a private CA is added to them rather than replacing them. */
export function defaultRoots(): string[] {
  if (!trustedRoots) {
    const roots = new Set<string>(tls.rootCertificates)
    if (typeof tls.getCACertificates === 'function') {
      for (const kind of ['default', 'system'] as const) {
        try {
          for (const pem of tls.getCACertificates(kind)) roots.add(pem)
        } catch {
          // Some platforms cannot enumerate their store; the bundled roots remain.
        }
      }
    }
    trustedRoots = [...roots]
  }
  return trustedRoots
}

/**
 * Splits PEM bundles into certificates (pemCertificates, the forms' rule) and checks each parses, so a pasted key or a
 * typo fails here, clearly.
 */
export function parseCaBundle(pems: string[]): string[] {
  const certs = pems.flatMap(pemCertificates)
  if (certs.length === 0 && pems.some((p) => p.trim() !== '')) {
    throw AppError.withRef('VALIDATION', 'The custom CA must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)', { key: 'errors.invalidCa' })
  }
  for (const cert of certs) {
    try {
      new X509Certificate(cert)
    } catch {
      throw AppError.withRef('VALIDATION', 'The custom CA contains a certificate that cannot be read', { key: 'errors.invalidCa' })
    }
  }
  return certs
}

/** The roots to verify against: the defaults plus the profile's own CA, if any. */
export function trustedCas(extraPems: string[]): string[] {
  return [...defaultRoots(), ...parseCaBundle(extraPems)]
}
