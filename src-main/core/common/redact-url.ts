/**
 * Credentials written into a URL (`scheme://user:password@host`) are never echoed: every error message, error
 * detail, log line and audit entry that can hold a URL goes through these functions, which replace the user-info
 * part with `***`. The scan is by hand, one pass and no regular expression, so that text of any length costs
 * linear time: an operator's typo can be megabytes long.
 */
export const REDACTED_USERINFO = '***'

/**
 * Characters that end a URL's authority inside free text: the start of a path, query or fragment, quotes, angle
 * brackets and control characters. A space does not: a mistyped password may hold one, and an address after it on
 * the same line being hidden too costs less than a password shown.
 */
function endsAuthority(code: number): boolean {
  return (
    code < 0x20 ||
    code === 0x7f ||
    code === 0x2f || // /
    code === 0x3f || // ?
    code === 0x23 || // #
    code === 0x5c || // \
    code === 0x22 ||
    code === 0x27 ||
    code === 0x3c ||
    code === 0x3e ||
    code === 0x60
  )
}

/**
 * Redacts the user-info of every URL found in `text` (a message, a log line, a setting). The user-info is everything
 * between `://` and the last `@` of the authority: URL parsers take the last `@`, and a password may itself hold `@`
 * or `:`.
 */
export function redactUrlsIn(text: string): string {
  let at = text.indexOf('://')
  if (at < 0) return text
  let out = ''
  let copied = 0
  while (at >= 0) {
    const start = at + 3
    let end = start
    let lastAt = -1
    while (end < text.length) {
      const code = text.charCodeAt(end)
      if (endsAuthority(code)) break
      if (code === 0x40) lastAt = end
      end++
    }
    if (lastAt >= 0 && !(lastAt === start + REDACTED_USERINFO.length && text.startsWith(REDACTED_USERINFO, start))) {
      out += `${text.slice(copied, start)}${REDACTED_USERINFO}`
      copied = lastAt
    }
    // The authority stops at a '/', so the next '://' can begin inside it (its ':' scanned as a port separator).
    at = text.indexOf('://', start)
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/**
 * A copy of `value` with every string redacted by `redactUrlsIn`, for structured data (audit before/after, log
 * fields). Walks with its own stack, so a deep value cannot overflow the call stack; values deeper than `maxDepth`
 * are replaced by a marker rather than copied, since nothing that deep is meant to be read.
 */
export function redactUrlsDeep(value: unknown, maxDepth = 64): unknown {
  if (typeof value === 'string') return redactUrlsIn(value)
  if (typeof value !== 'object' || value === null) return value
  const root: { v: unknown } = { v: undefined }
  const stack: { source: object; target: Record<string, unknown> | unknown[]; depth: number }[] = []
  const copyOf = (source: object, depth: number): unknown => {
    if (depth > maxDepth) return '[too deep]'
    if (source instanceof Error) {
      // An Error's message and stack are not enumerable; loggers read them, so they are kept (redacted).
      const plain: Record<string, unknown> = { type: source.name, message: redactUrlsIn(source.message), ...(source.stack ? { stack: redactUrlsIn(source.stack) } : {}) }
      stack.push({ source: Object.fromEntries(Object.entries(source)), target: plain, depth })
      return plain
    }
    const proto = Object.getPrototypeOf(source) as unknown
    // Dates, buffers and other class instances are not containers of text: they are kept as they are.
    if (!Array.isArray(source) && proto !== Object.prototype && proto !== null) return source
    const target: Record<string, unknown> | unknown[] = Array.isArray(source) ? [] : {}
    stack.push({ source, target, depth })
    return target
  }
  root.v = copyOf(value, 0)
  while (stack.length > 0) {
    const { source, target, depth } = stack.pop()!
    for (const [key, v] of Object.entries(source)) {
      const copied = typeof v === 'string' ? redactUrlsIn(v) : typeof v === 'object' && v !== null ? copyOf(v, depth + 1) : v
      if (Array.isArray(target)) target.push(copied)
      else Object.defineProperty(target, key, { value: copied, enumerable: true, writable: true, configurable: true })
    }
  }
  return root.v
}
