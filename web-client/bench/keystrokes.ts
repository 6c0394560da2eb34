// What the remote typists type, and how long each keystroke took to show on the viewer's screen:
// pure functions over the typists' send times and the viewer's notes (unit-tested in
// test/bench-stats.test.ts).

/** What the typists type, over and over (letters and spaces, so the card wraps as prose does). */
const PROSE = 'the letter said to wait six weeks but nobody answered the phone '

/** The text a typist has typed after `count` keystrokes. */
export const typed = (count: number): string => PROSE.repeat(Math.ceil(count / PROSE.length) + 1).slice(0, count)

/** One change of a watched card's text on screen: [epoch ms, card id, the card's text]. */
export type Seen = [number, string, string]

/** A typist as far as latencies go: its card and when it sent each keystroke. */
export interface Typed {
  card: string
  /** send time of keystroke j (1-based), epoch ms; index 0 unused */
  sentAt: readonly number[]
}

/**
 * Keystroke -> screen latency of every keystroke after the first `warm[k]` of typist k that the
 * viewer showed: the first time the card's text on screen held it (after the card's seeded
 * text `base.get(card)`), minus when it was typed. Keystrokes never shown are left out.
 */
export function keystrokeLatencies (seen: readonly Seen[], typists: readonly Typed[], base: ReadonlyMap<string, string>, warm: readonly number[]): number[] {
  const out: number[] = []
  typists.forEach((t, k) => {
    const seeded = base.get(t.card) ?? ''
    const all = typed(t.sentAt.length - 1)
    let shown = 0
    for (const [at, id, text] of seen) {
      if (id !== t.card) continue
      const i = text.indexOf(seeded)
      if (i < 0) continue
      const after = text.slice(i + seeded.length)
      let n = 0
      while (n < after.length && n < all.length && after[n] === all[n]) n++
      for (let j = Math.max(shown, warm[k]) + 1; j <= n; j++) out.push(at - t.sentAt[j])
      shown = Math.max(shown, n)
    }
  })
  return out
}
