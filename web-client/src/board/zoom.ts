//! Zooming the canvas: buttons in the toolbar, Ctrl+mouse wheel (about the pointer), the keys
//! + − 0 on the board, and "fit to screen". Only the canvas zooms (the grids scroll with sticky
//! headers instead); positions in the document stay in unzoomed board pixels.

import * as M from './model'
import { ZOOM } from './routing'
import type { BoardStore } from './store'

/** Far enough out to fit a workshop-sized canvas (a thousand notes) on a laptop screen. */
const ZOOM_MIN = 0.1
/** Close enough to read a note from the back of a room on a projector. */
const ZOOM_MAX = 2
/** One step of the buttons, keys and wheel: 1.25× in or out. */
const STEP = 1.25
/** The canvas' least size in board pixels, so that there is room to add notes. */
const CANVAS_MIN = { w: 1600, h: 900 }

/** The canvas' size in board pixels: its items plus a margin, at least CANVAS_MIN. */
export function canvasSize (items: M.ItemView[]): { w: number, h: number } {
  let w = CANVAS_MIN.w; let h = CANVAS_MIN.h
  for (const i of items) { const b = M.boxOf(i); w = Math.max(w, b.x + b.w + 40); h = Math.max(h, b.y + b.h + 40) }
  return { w, h }
}

/**
 * Set the zoom, keeping the board point under `anchor` (a point in the scrolling element's view,
 * default its middle) where it is on screen.
 */
export function setZoom (store: BoardStore, zoom: number, anchor?: { x: number, y: number }): void {
  const wrap = store.root?.closest<HTMLElement>('#board')
  const z0 = store.zoom
  const z1 = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Math.round(zoom * 100) / 100))
  if (z1 === z0) return
  const a = anchor ?? (wrap ? { x: wrap.clientWidth / 2, y: wrap.clientHeight / 2 } : { x: 0, y: 0 })
  const at = wrap ? { x: (wrap.scrollLeft + a.x) / z0, y: (wrap.scrollTop + a.y) / z0 } : undefined
  store.zoom = z1
  store.publish([ZOOM])
  if (wrap && at) requestAnimationFrame(() => { wrap.scrollLeft = at.x * z1 - a.x; wrap.scrollTop = at.y * z1 - a.y })
}

export const zoomIn = (store: BoardStore): void => setZoom(store, store.zoom * STEP)
export const zoomOut = (store: BoardStore): void => setZoom(store, store.zoom / STEP)

/** The whole canvas (its items) in the visible area (the board's box less its padding). */
export function fitZoom (store: BoardStore): void {
  const wrap = store.root?.closest<HTMLElement>('#board')
  if (!wrap) return
  let w = 0; let h = 0
  for (const i of store.index.canvasItems()) { const b = M.boxOf(i); w = Math.max(w, b.x + b.w + 40); h = Math.max(h, b.y + b.h + 40) }
  if (!w || !h) { setZoom(store, 1); return }
  const css = getComputedStyle(wrap)
  const room = {
    w: wrap.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight),
    h: wrap.clientHeight - parseFloat(css.paddingTop) - parseFloat(css.paddingBottom)
  }
  // rounded down to whole percents, so that the rounding never makes it overflow
  setZoom(store, Math.floor(Math.min(room.w / w, room.h / h, 1) * 100) / 100)
  requestAnimationFrame(() => { wrap.scrollLeft = 0; wrap.scrollTop = 0 })
}

/** Keys and wheel on the board element: + − 0 (not while typing), Ctrl+wheel about the pointer. */
export function bindZoomInput (store: BoardStore, wrap: HTMLElement): void {
  const zoomable = (): boolean => M.templateOf(store.doc) === 'canvas' && !store.textView()
  wrap.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement
    if (!zoomable() || e.ctrlKey || e.metaKey || e.altKey || target.closest('input, textarea, select, [role="menu"]')) return
    if (e.key === '+' || e.key === '=') { e.preventDefault(); zoomIn(store) } else if (e.key === '-') { e.preventDefault(); zoomOut(store) } else if (e.key === '0') { e.preventDefault(); setZoom(store, 1) }
  })
  wrap.addEventListener('wheel', (e) => {
    if (!zoomable() || !(e.ctrlKey || e.metaKey)) return
    e.preventDefault()
    const r = wrap.getBoundingClientRect()
    setZoom(store, store.zoom * (e.deltaY < 0 ? STEP : 1 / STEP), { x: e.clientX - r.left, y: e.clientY - r.top })
  }, { passive: false })
}

