import { afterAll, it } from 'vitest'

/**
 * A conformance suite: an official client of a service drives our peer through documented operations. Each case is
 * a vitest test; at the end the suite prints how many of its cases passed, the figure that says how faithful the
 * peer is (a failing case also fails the run).
 */
export function conformanceSuite(name: string) {
  let passed = 0
  let total = 0
  afterAll(() => {
    console.log(`conformance ${name}: ${passed}/${total} cases passed`)
  })
  return {
    /** A documented operation and its documented outcome; `source` names where the expectation comes from. */
    case(title: string, source: string, fn: () => Promise<void> | void, timeout?: number) {
      total++
      it(
        `${title} [${source}]`,
        async () => {
          await fn()
          passed++
        },
        timeout,
      )
    },
  }
}
