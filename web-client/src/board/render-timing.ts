//! When the board's components render again. Preact renders what a change made dirty in a
//! microtask, once per change. Others' edits arrive one websocket message at a time, several per
//! frame when many people type: rendered one by one, each costs Preact's work (and DOM writes) for
//! a single paint. So what others change renders once, at the start of the next frame (all that
//! arrived before it together); this person's own actions render at once, as before, and also
//! bring forward renders still waiting for a frame.

import { options } from 'preact'

/** The render still waiting for the next frame, if any. */
let waiting: (() => void) | undefined
/** Set while others' changes are published: the renders they cause wait for a frame. */
let othersChanging = false

options.debounceRendering = (render: () => void): void => {
  let done = false
  const run = (): void => {
    if (done) return
    done = true
    if (waiting === run) waiting = undefined
    render()
  }
  // a hidden tab gets no frames: render as usual
  if (!othersChanging || document.hidden) { queueMicrotask(run); return }
  waiting = run
  requestAnimationFrame(run)
}

// a tab hidden while a render waits for a frame would hold it until shown again
document.addEventListener('visibilitychange', () => { if (document.hidden && waiting) queueMicrotask(waiting) })

/** Run `publish` (which marks components dirty); others' changes render in the next frame. */
export function publishing (byOthers: boolean, publish: () => void): void {
  if (!byOthers) {
    if (waiting) queueMicrotask(waiting)
    publish()
    return
  }
  othersChanging = true
  try { publish() } finally { othersChanging = false }
}
