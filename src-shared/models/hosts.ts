/**
 * What a host is: a dotted-quad IPv4 address, a DNS label, this computer. Pure, so that the forms, the mail rules and
 * the core's transport checks read a host the same way.
 */

/** Four decimal octets of 0–255 without leading zeros: what Node's `net.isIPv4` accepts. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/** One label of a host name (RFC 1123): letters, digits and inner hyphens, at most 63 characters. */
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

export function isIPv4(text: string): boolean {
  return IPV4.test(text)
}

export function isDnsLabel(text: string): boolean {
  return DNS_LABEL.test(text)
}

/**
 * This computer: the one place plain transports are accepted (the test peers and local tunnels run there, and the
 * traffic never leaves the machine). Takes `URL.hostname` (IPv6 in brackets, IPv4 shorthands such as 127.1 already
 * expanded) as well as a host typed alone. A host with spaces or an octet written with a leading zero is not taken
 * for this computer: what it resolves to is up to the resolver.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  return isIPv4(host) && host.startsWith('127.')
}
