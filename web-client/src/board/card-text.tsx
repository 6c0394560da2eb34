//! A card's text, laid out on its own. Someone typing into a card changes its text many times a
//! second; the browser would lay out the page from its root down to that text for each change.
//! The text's box is size-contained (its height is that of its lines, set when their number
//! changes), so a keystroke lays out the text alone, whatever the size of the board.

import { useLayoutEffect, useRef } from 'preact/hooks'

/** One observer for every card's text: it gives each text box the height of its lines. */
let lines: ResizeObserver | undefined

function linesObserver (): ResizeObserver {
  lines ??= new ResizeObserver((entries) => {
    for (const e of entries) {
      const box = (e.target as HTMLElement).parentElement
      const height = `${e.borderBoxSize?.[0]?.blockSize ?? e.contentRect.height}px`
      if (box && box.style.height !== height) box.style.height = height
    }
  })
  return lines
}

/**
 * Characters that override or isolate the direction of the text around them (U+202A–U+202E,
 * U+2066–U+2069): with one, a card reads reversed to everyone else. The server leaves them out of
 * every answer (board crate `neutral_text`); a card's live text is shown without them too.
 */
const DIRECTION_OVERRIDES = /[\u202A-\u202E\u2066-\u2069]/g

/** The text of a card, note or group, as shown (not while it is being edited). */
export function CardText ({ text, lang }: { text: string, lang?: string }) {
  const inner = useRef<HTMLSpanElement>(null)
  useLayoutEffect(() => {
    const el = inner.current
    if (!el) return undefined
    const observer = linesObserver()
    observer.observe(el)
    return () => observer.unobserve(el)
  }, [])
  return <p class='card-text own-layout' lang={lang}><span class='card-lines' ref={inner}>{text.replace(DIRECTION_OVERRIDES, '')}</span></p>
}
