//! When the card being typed is worth asking the server about (issue 29, similar cards): a pause
//! in typing, at least a few words, not the same text again, and never again once the server said
//! it has no model. Typing never waits for an answer; a late answer to an older text is dropped.

import { isOff } from './api'
import { ApiError } from '../api/client'

/** A pause this long ends a burst of typing: one question per pause, not one per keystroke. */
export const PAUSE_MS = 600
/** Fewer words say too little to be compared. */
export const MIN_WORDS = 3
/** The longest text the server compares (longer: 400 `text_too_long`). */
export const MAX_CHARS = 1000
/** After a 429, no question for this long (the limit is counted per minute). */
export const BACK_OFF_MS = 60_000

/** The text to ask about, or undefined when it says too little or is too long to be compared. */
export function askable (text: string): string | undefined {
  const s = text.trim().replace(/\s+/g, ' ')
  if (!s || s.length > MAX_CHARS) return undefined
  return s.split(' ').filter((w) => /[\p{L}\p{N}]/u.test(w)).length >= MIN_WORDS ? s : undefined
}

/**
 * Asks `ask` about the latest text once typing pauses, and hands `show` the answer for that text
 * (an empty list when the text says too little again). Silent for good after a 503.
 */
export class SimilarAsker<T> {
  private timer: ReturnType<typeof setTimeout> | undefined
  /** The text last asked about (or being asked): the same text is not asked twice in a row. */
  private asked?: string
  /** Bumped by every keystroke: an answer for an older text is not shown. */
  private seq = 0
  private off = false
  private pausedUntil = 0

  constructor (private readonly ask: (text: string) => Promise<T[]>, private readonly show: (found: T[]) => void, private readonly now = Date.now) {}

  /** The card's text is now `text`. */
  typed (text: string): void {
    const seq = ++this.seq
    clearTimeout(this.timer)
    const q = askable(text)
    if (!q) { this.asked = undefined; this.show([]); return }
    if (this.off || q === this.asked || this.now() < this.pausedUntil) return
    this.timer = setTimeout(() => { void this.run(q, seq) }, PAUSE_MS)
  }

  /** The editor closed: nothing more is asked for it. */
  stop (): void { clearTimeout(this.timer); this.seq++; this.asked = undefined }

  private async run (q: string, seq: number): Promise<void> {
    this.asked = q
    try {
      const found = await this.ask(q)
      if (seq === this.seq) this.show(found)
    } catch (e) {
      if (isOff(e)) this.off = true
      else if (e instanceof ApiError && e.status === 429) this.pausedUntil = this.now() + BACK_OFF_MS
      this.asked = undefined
    }
  }
}
