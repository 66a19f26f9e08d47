/**
 * The secrets a historian destination cannot sign in without, given how it signs in: one rule for the Extensions forms
 * (checked before anything is sent) and the core (profiles saved, configurations from environment variables).
 */
import type { MessageRef } from './errors'
import type { CouchSettings, KafkaSettings } from './historian'

/** Problems by the secret (or setting) they are about: 'apiKey', 'password', 'clientKey'. */
export function destinationSecretProblems(
  extension: 'couchdb' | 'kafka',
  settings: Pick<CouchSettings, 'auth'> | Pick<KafkaSettings, 'transport' | 'security' | 'clientCert'>,
  isSet: (secret: string) => boolean,
): Record<string, MessageRef> {
  const problems: Record<string, MessageRef> = {}
  if (extension === 'couchdb') {
    const s = settings as Pick<CouchSettings, 'auth'>
    if (s.auth === 'iam' && !isSet('apiKey')) problems.apiKey = { key: 'historian.apiKeyRequired' }
    if (s.auth === 'basic' && !isSet('password')) problems.password = { key: 'historian.passwordRequired' }
    return problems
  }
  const s = settings as Pick<KafkaSettings, 'transport' | 'security' | 'clientCert'>
  if ((s.transport !== 'native' || s.security === 'sasl_ssl') && !isSet('password')) problems.password = { key: 'historian.passwordRequired' }
  if ((s.clientCert.trim() !== '') !== isSet('clientKey')) problems.clientKey = { key: 'historian.clientCertPair' }
  return problems
}
