import type { Translate } from '../../i18n'
import type { ParameterProblem } from '../../lib/dm-packages'

/** Words for device-management codes: a device's response code, and why a parameter's value was refused. */

/** What a device's rc means (docs/wire/platform-mqtt.md §3); null for a code the protocol does not define. */
export function rcMeaning(t: Translate, rc: number): string | null {
  switch (rc) {
    case 200:
      return t('packages.rc.success')
    case 202:
      return t('packages.rc.accepted')
    case 204:
      return t('packages.rc.changed')
    case 400:
      return t('packages.rc.badRequest')
    case 403:
      return t('packages.rc.forbidden')
    case 404:
      return t('packages.rc.notFound')
    case 409:
      return t('packages.rc.conflict')
    case 500:
      return t('packages.rc.deviceError')
    case 501:
      return t('packages.rc.notImplemented')
    default:
      return null
  }
}

/** A device's answer as one line: "200 Success", or the bare code with a note when the protocol does not define it. */
export function rcText(t: Translate, rc: number): string {
  const meaning = rcMeaning(t, rc)
  return meaning ? t('packages.rc.line', { values: { rc, meaning } }) : t('packages.rc.unknown', { values: { rc } })
}

export function parameterProblemText(t: Translate, problem: ParameterProblem, pattern: string | undefined): string {
  switch (problem) {
    case 'required':
      return t('packages.run.problems.required')
    case 'mismatch':
      return pattern === undefined ? t('packages.run.problems.mismatchNoPattern') : t('packages.run.problems.mismatch', { values: { pattern } })
    case 'unknown':
      return t('packages.run.problems.unknown')
    case 'unchecked':
      return t('packages.run.problems.unchecked')
  }
}
