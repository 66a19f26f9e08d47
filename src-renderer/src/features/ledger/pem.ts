/**
 * A PEM text with its line structure back. A key pasted into a password field loses its line breaks (an input holds
 * one line), and OpenSSL reads no PEM without them: the base64 body is cut again into lines of 64 characters between
 * its BEGIN and END lines. Anything that is not one PEM block is given back as it came, for the core to refuse.
 */
export function pemLines(text: string): string {
  const m = /^\s*(-----BEGIN ([A-Z0-9 ]+)-----)\s*([A-Za-z0-9+/=\s]+?)\s*(-----END \2-----)\s*$/.exec(text)
  if (!m) return text
  const body = m[3]!.replace(/\s+/g, '')
  return `${m[1]}\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n${m[4]}\n`
}
