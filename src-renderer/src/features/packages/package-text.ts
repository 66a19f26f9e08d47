import { wordFor, type Translate } from '../../i18n'
import type { ParameterProblem } from '../../lib/dm-packages'

/** Words for device-management codes: a device's response code, and why a parameter's value was refused. */

/** The response codes the protocol defines (docs/wire/platform-mqtt.md §3), by the words of their meaning. */
const RC_MEANINGS: Readonly<Record<number, string>> = {
  200: 'success',
  202: 'accepted',
  204: 'changed',
  400: 'badRequest',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  500: 'deviceError',
  501: 'notImplemented',
}

/** A device's answer as one line: "200 Success", or the bare code with a note when the protocol does not define it. */
export function rcText(t: Translate, rc: number): string {
  const meaning = RC_MEANINGS[rc]
  return meaning ? t('packages.rc.line', { values: { rc, meaning: wordFor(t, 'packages.rc', meaning) } }) : t('packages.rc.unknown', { values: { rc } })
}

export function parameterProblemText(t: Translate, problem: ParameterProblem, pattern: string | undefined): string {
  if (problem !== 'mismatch') return wordFor(t, 'packages.run.problems', problem)
  return pattern === undefined ? t('packages.run.problems.mismatchNoPattern') : t('packages.run.problems.mismatch', { values: { pattern } })
}
