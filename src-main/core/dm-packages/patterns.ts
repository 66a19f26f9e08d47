import { compileFullMatch, type FullMatcher } from '../../../src-shared/models/full-match'
import { regexProblemOf, type RegexProblem } from '../../../src-shared/models/regex-problems'

/**
 * The `value` of a package parameter is a regular expression. The platform that defined the format is written
 * in Java, so packages written for it may use Java-only syntax; Fieldline checks values in JavaScript (in main and
 * in the renderer's form), so the pattern must be a JavaScript RegExp — compiled without flags — or Fieldline
 * could not check anything with it. Java syntax is recognised to explain the refusal, and, where JavaScript
 * accepts the same text with another meaning (`\A`, `\Z`, `\p{Alpha}`, `[a-z&&[^e]]`), to warn about it.
 */

export type PatternCheck =
  /**
   * `new RegExp(pattern)` refused it: `problem` says why in a code the window words, `detail` is the engine's reason;
   * `java` names the Java-only construct that probably explains why.
   */
  | { compiles: false; problem: RegexProblem; detail: string; java?: string }
  /**
   * It compiles; `javaDiffers` names Java syntax that JavaScript reads differently; `matcher()` checks values
   * (built on first use and kept: most parameters have no default to check).
   */
  | { compiles: true; javaDiffers?: string; matcher(): FullMatcher }

export function checkPattern(pattern: string): PatternCheck {
  const java = javaConstruct(pattern)
  try {
    // Compiling only parses the pattern (linear in its length); it is never run here, see full-match.ts.
    new RegExp(pattern)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    // V8: "Invalid regular expression: /<pattern>/: <reason>"; the pattern may be long, the reason is what helps.
    const detail = message.slice(message.lastIndexOf(': ') + 2) || message
    const problem = regexProblemOf(detail)
    return java ? { compiles: false, problem, detail, java } : { compiles: false, problem, detail }
  }
  let compiled: FullMatcher | undefined
  const matcher = () => (compiled ??= compileFullMatch(pattern))
  return java ? { compiles: true, javaDiffers: java, matcher } : { compiles: true, matcher }
}

/** Java escapes that JavaScript (without the u flag) reads as the bare letter. */
const JAVA_ESCAPES = new Set(['A', 'Z', 'z', 'G', 'Q', 'E', 'h', 'H', 'R', 'X', 'e', 'a', 'p', 'P'])

/**
 * The first Java-only construct in a pattern, as written, or undefined. A single left-to-right scan that knows
 * escapes and classes; a heuristic (it does not parse), used only to word messages.
 */
export function javaConstruct(pattern: string): string | undefined {
  let inClass = false
  /** The previous token was a quantifier, so a following '+' makes it possessive. */
  let afterQuantifier = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\') {
      const n = pattern[i + 1]
      if (n !== undefined && JAVA_ESCAPES.has(n)) {
        return (n === 'p' || n === 'P') && pattern[i + 2] === '{' ? `\\${n}${pattern.slice(i + 2, pattern.indexOf('}', i) + 1 || i + 3)}` : `\\${n}`
      }
      i++
      afterQuantifier = false
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      else if (c === '&' && pattern[i + 1] === '&') return '&&'
      continue
    }
    if (c === '[') {
      inClass = true
      // A ']' right after '[' or '[^' is a literal in Java, and an empty class in JavaScript.
      afterQuantifier = false
      continue
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2)
      if (rest.startsWith('>')) return '(?>'
      const flags = /^[idmsuxU-]+\)/.exec(rest)
      if (flags) return `(?${flags[0]}`
      afterQuantifier = false
      i++
      continue
    }
    if (c === '+' && afterQuantifier) return `${pattern[i - 1]}+`
    if (c === '*' || c === '+' || c === '?') {
      // '?' right after a quantifier makes it lazy (valid in both); it does not start a new quantifier.
      afterQuantifier = !(c === '?' && afterQuantifier)
      continue
    }
    if (c === '}' && /\{\d+(,\d*)?$/.test(pattern.slice(Math.max(0, i - 24), i))) {
      afterQuantifier = true
      continue
    }
    afterQuantifier = false
  }
  return undefined
}
