//! The board area of the page, rendered with Preact from the store: the grid or the canvas once
//! the template is known, and the canvas' zoom controls in the toolbar.

import { render } from 'preact'
import * as M from './model'
import { t } from '../i18n'
import { StoreContext, useTopics, type BoardStore } from './store'
import { META, ZOOM } from './routing'
import { Grid } from './grid'
import { Canvas } from './canvas'
import { zoomIn, zoomOut, setZoom, fitZoom } from './zoom'

function Board () {
  const store = useTopics([META])
  const tpl = M.templateOf(store.doc)
  if (!tpl) return <p class='loading'>{t('board.loading')}</p>
  return tpl === 'canvas' ? <Canvas /> : <Grid template={tpl} />
}

/** Zoom out, the level (resets to 100 %), zoom in, fit to screen: for the visual canvas only. */
function ZoomControls () {
  const store = useTopics([ZOOM, META])
  if (M.templateOf(store.doc) !== 'canvas' || store.textView()) return null
  return (
    <div class='zoom' role='group' aria-label={t('zoom.label')}>
      <button type='button' class='btn' id='zoom-out' aria-label={t('zoom.out')} title={t('zoom.out')} onClick={() => zoomOut(store)}>−</button>
      <button type='button' class='btn' id='zoom-reset' title={t('zoom.reset')} aria-label={`${t('zoom.level', { n: Math.round(store.zoom * 100) })}, ${t('zoom.reset')}`} onClick={() => setZoom(store, 1)}>{`${Math.round(store.zoom * 100)} %`}</button>
      <button type='button' class='btn' id='zoom-in' aria-label={t('zoom.in')} title={t('zoom.in')} onClick={() => zoomIn(store)}>+</button>
      <button type='button' class='btn' id='zoom-fit' onClick={() => fitZoom(store)}>{t('zoom.fit')}</button>
    </div>
  )
}

/** Render the board into `el` (and keep it live); `render(null, el)` ends it. */
export function mountBoard (store: BoardStore, el: HTMLElement): void {
  render(<StoreContext.Provider value={store}><Board /></StoreContext.Provider>, el)
}

/** Render the canvas' zoom controls into `el` (a place in the toolbar). */
export function mountZoomControls (store: BoardStore, el: HTMLElement): void {
  render(<StoreContext.Provider value={store}><ZoomControls /></StoreContext.Provider>, el)
}

/** End what `mountBoard` or `mountZoomControls` rendered. */
export function unmount (el: HTMLElement): void { render(null, el) }
