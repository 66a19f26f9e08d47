/**
 * A count as the CLI and the core's English messages write it, whatever the machine's locale (scripts read these
 * lines): 1,000,000. Human-readable text only: JSON, CSV and JSON Lines carry the bare number.
 */
export const countText = (n: number): string => n.toLocaleString('en-US')
