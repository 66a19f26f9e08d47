/**
 * The text a live region says while something counts up several times a second (an export's rows): the latest text at
 * most once every `everyMs`, so a screen reader finishes one count before the next. The text on screen follows every
 * step; this is only what is spoken.
 */
export class PacedText {
  #at: number | null = null
  #text = ''

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** What to say, given the latest text: it, when the last was said long enough ago (or never), else the last. */
  next(text: string): string {
    const at = this.now()
    if (this.#at === null || at - this.#at >= this.everyMs) {
      this.#text = text
      this.#at = at
    }
    return this.#text
  }

  /** The count is over: the next one is said at once. */
  reset(): void {
    this.#at = null
    this.#text = ''
  }
}
