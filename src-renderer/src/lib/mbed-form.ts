import type { MessageRef } from '../../../src-shared/contract'
import type { MbedProfile, MbedSettings } from '../../../src-shared/models/profiles'
import { urlProblem } from './profile-form'

/**
 * The mbed Connector profile form's checks, mirroring the contract (mbedSettingsSchema), the core's URL rule
 * (core/http/secure-url.ts: the access key travels over https://, plain http:// only to this computer) and the
 * client's access-key rule (core/mbed/connector.client.ts), so a problem shows next to its field, in the operator's
 * language, before anything is sent. The core checks again; this is only the early word.
 */
export type MbedField = 'name' | 'apiUrl' | 'domainId' | 'defaultDeviceType' | 'accessKey' | 'queueSize'
export type MbedProblems = Partial<Record<MbedField, MessageRef>>

export interface MbedFormValues {
  name: string
  apiUrl: string
  domainId: string
  defaultDeviceType: string
  accessKey: string
  queueSize: number | null
}

const LIMITS = { name: 80, domainId: 100, accessKey: 4096 } as const
export const QUEUE_SIZE_MIN = 100
export const QUEUE_SIZE_MAX = 1_000_000
/** mbedSettingsSchema's defaultDeviceType: a device type is a topic level, so the platform's id rule applies. */
const DEVICE_TYPE = /^[A-Za-z0-9._-]{1,36}$/
// eslint-disable-next-line no-control-regex -- control characters are exactly what the core refuses in the key
const BAD_KEY_CHARS = /[\s\u0000-\u001f]/

/** Pelion/Izuma hosts alone offer the WebSocket channel (docs/wire/mbed.md §1.5): a Connector profile long-polls. */
export function channelsFor(flavour: MbedSettings['flavour']): MbedSettings['channel'][] {
  return flavour === 'pelion' ? ['longpoll', 'websocket'] : ['longpoll']
}

export function mbedProblems(values: MbedFormValues, existing: MbedProfile | null): MbedProblems {
  const problems: MbedProblems = {}
  const name = values.name.trim()
  if (name === '') problems.name = { key: 'profiles.form.required' }
  else if (name.length > LIMITS.name) problems.name = { key: 'profiles.form.tooLong', params: { max: LIMITS.name } }

  const apiUrl = urlProblem(values.apiUrl)
  if (apiUrl) problems.apiUrl = apiUrl

  if (values.domainId.trim().length > LIMITS.domainId) problems.domainId = { key: 'profiles.form.tooLong', params: { max: LIMITS.domainId } }

  const type = values.defaultDeviceType.trim()
  if (type === '') problems.defaultDeviceType = { key: 'profiles.form.required' }
  else if (!DEVICE_TYPE.test(type)) problems.defaultDeviceType = { key: 'mbed.invalidDeviceType', params: { value: type.slice(0, 40) } }

  // The key is write-only: an empty field keeps the saved one, so it is required only when none is saved.
  if (values.accessKey === '' && !existing?.secrets.accessKey) problems.accessKey = { key: 'profiles.accessKeyRequired' }
  else if (values.accessKey.length > LIMITS.accessKey) problems.accessKey = { key: 'profiles.form.tooLong', params: { max: LIMITS.accessKey } }
  else if (values.accessKey !== '' && BAD_KEY_CHARS.test(values.accessKey)) problems.accessKey = { key: 'mbed.invalidAccessKey' }

  const q = values.queueSize
  if (q === null || !Number.isInteger(q) || q < QUEUE_SIZE_MIN || q > QUEUE_SIZE_MAX) problems.queueSize = { key: 'mbed.form.queueSizeRange' }
  return problems
}

/** Which field a refusal from the core is about, so it is shown there rather than at the bottom of the form. */
export function mbedFieldOfRef(key: string | undefined): MbedField | null {
  switch (key) {
    case 'errors.invalidUrl':
    case 'errors.insecureUrl':
    case 'errors.urlHasCredentials':
      return 'apiUrl'
    case 'profiles.accessKeyRequired':
    case 'mbed.invalidAccessKey':
      return 'accessKey'
    case 'mbed.invalidDeviceType':
      return 'defaultDeviceType'
    default:
      return null
  }
}
