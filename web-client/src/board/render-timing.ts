//! When the board's components render again. Preact renders what a change made dirty in a
//! microtask, once per change. Others' edits arrive one websocket message at a time, several per
//! frame when many people type: rendered one by one, each costs Preact's work (and DOM writes) for
//! a single paint. So what others change on screen renders once, at the start of the next frame
//! (all that arrived before it together); this person's own actions, and others' changes to what
//! is off screen (which must not cost a frame), render at once, as before; an own action also
//! brings forward renders still waiting for a frame.

import { options } from 'preact'

/** The render still waiting for the next frame, if any. */
let waiting: (() => void) | undefined
/** Set while others' changes to what is on screen are published: their renders wait for a frame. */
let forNextFrame = false

options.debounceRendering = (render: () => void): void => {
  let done = false
  const run = (): void => {
    if (done) return
    done = true
    if (waiting === run) waiting = undefined
    render()
  }
  // a hidden tab gets no frames: render as usual
  if (!forNextFrame || document.hidden) { queueMicrotask(run); return }
  waiting = run
  requestAnimationFrame(run)
}

// a tab hidden while a render waits for a frame would hold it until shown again
document.addEventListener('visibilitychange', () => { if (document.hidden && waiting) queueMicrotask(waiting) })

/**
 * When what a publication marks dirty renders: `own` (this person's action: at once, with what
 * waits for a frame), `frame` (others' changes on screen: in the next frame), `soon` (others'
 * changes off screen: at once, or with what already waits for a frame; no frame of its own).
 */
export type RenderWhen = 'own' | 'frame' | 'soon'

/** Run `publish` (which marks components dirty); what it dirties renders `when` says. */
export function publishing (when: RenderWhen, publish: () => void): void {
  if (when === 'own' && waiting) queueMicrotask(waiting)
  forNextFrame = when === 'frame'
  try { publish() } finally { forNextFrame = false }
}
