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

/** Run `publish` (which marks components dirty); what it dirties renders in the next frame or at once. */
export function publishing (inNextFrame: boolean, publish: () => void): void {
  if (!inNextFrame) {
    if (waiting) queueMicrotask(waiting)
    publish()
    return
  }
  forNextFrame = true
  try { publish() } finally { forNextFrame = false }
}
