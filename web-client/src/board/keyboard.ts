//! The board by keyboard: shortcuts on a focused card (Enter edit, Space select, V vote, C comment,
//! Delete, Ctrl+arrows move to another cell, Alt+↑/↓ reorder, Alt(+Shift)+arrows move or resize a
//! note) and arrow keys that move focus between cards and cells, as listed above the board.

import * as M from './model'
import * as A from './actions'
import type { BoardStore } from './store'
import type { Panel } from './card-menu'

const STEPS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }
/** How far Alt+arrow moves (or Alt+Shift+arrow resizes) a canvas note: the canvas' dot grid. */
const NOTE_STEP = 20

/** A key on a focused card (not on a field or button inside it); `openPanel` asks before a deletion. */
export function onCardKey (store: BoardStore, e: KeyboardEvent, c: M.ItemView, openPanel: (p: Panel) => void): void {
  if (e.target !== e.currentTarget) return
  const rules = store.env.rules()
  const live = store.env.canEdit() && !c.hidden
  const edit = live && rules.mayMove(c)
  const key = e.key
  const step = STEPS[key]
  if (key === 'Escape' && store.connectFrom) { e.preventDefault(); A.setConnectFrom(store, undefined); return }
  if (key === 'Escape' && store.selected) { e.preventDefault(); store.select(undefined); return }
  if ((key === 'Enter' || key === ' ') && store.connectFrom) { e.preventDefault(); A.activate(store, c.id); return }
  if (key === 'Enter' && live && rules.mayEditText(c)) { e.preventDefault(); A.startEditing(store, c.id); return }
  if (key === ' ') { e.preventDefault(); A.activate(store, c.id); return }
  if (c.type === 'card' && (e.ctrlKey || e.metaKey) && step && edit) { e.preventDefault(); A.moveBy(store, c, step[0], step[1]); return }
  if (c.type === 'card' && e.altKey && (key === 'ArrowUp' || key === 'ArrowDown') && edit) { e.preventDefault(); A.reorder(store, c, key === 'ArrowUp' ? -1 : 1); return }
  if (c.type !== 'card' && e.altKey && step && edit) {
    e.preventDefault()
    const [dx, dy] = [step[0] * NOTE_STEP, step[1] * NOTE_STEP]
    if (e.shiftKey) M.setGeometry(store.doc, c.id, { w: (c.w ?? 160) + dx, h: (c.h ?? 120) + dy })
    else M.setGeometry(store.doc, c.id, { x: (c.x ?? 0) + dx, y: (c.y ?? 0) + dy })
    store.focusItem(c.id)
    return
  }
  if (step && !e.altKey && !e.ctrlKey && !e.metaKey) { e.preventDefault(); moveFocus(e.currentTarget as HTMLElement, key); return }
  if (!live) return
  if (key === 'Delete' && rules.mayDelete(c)) { e.preventDefault(); openPanel('delete') } else if ((key === 'v' || key === 'V') && rules.mayVote()) { e.preventDefault(); A.vote(store, c.id) } else if ((key === 'c' || key === 'C') && rules.mayComment()) {
    e.preventDefault()
    store.select(c.id)
    store.focusItem(c.id, 'comment')
  }
}

/** Arrow keys on a cell's "add card" button move focus as they do on its cards. */
export function onCellKey (e: KeyboardEvent): void {
  if (STEPS[e.key] && !e.altKey && !e.ctrlKey) { e.preventDefault(); moveFocus(e.currentTarget as HTMLElement, e.key) }
}

/** Arrow keys: up/down within a cell (cards then its add button), left/right to the next cell. */
function moveFocus (from: HTMLElement, key: string): void {
  const td = from.closest('td.cell')
  if (!td) {
    const all = [...(from.closest('#canvas') ?? document).querySelectorAll<HTMLElement>('.notes li > .card')]
    const i = all.indexOf(from)
    const next = key === 'ArrowDown' || key === 'ArrowRight' ? all[i + 1] : all[i - 1]
    next?.focus()
    return
  }
  const stops = (cell: Element): HTMLElement[] => [...cell.querySelectorAll<HTMLElement>(':scope > ul > li > .card, :scope > .add-card')]
  const row = td.closest('tr')!
  const cells = [...row.querySelectorAll('td.cell')]
  const col = cells.indexOf(td)
  if (key === 'ArrowUp' || key === 'ArrowDown') {
    const list = stops(td); const i = list.indexOf(from)
    const next = list[key === 'ArrowUp' ? i - 1 : i + 1]
    if (next) { next.focus(); return }
    let r: Element | null = row
    do { r = key === 'ArrowUp' ? r.previousElementSibling : r.nextElementSibling } while (r && !r.querySelector('td.cell'))
    const target = r?.querySelectorAll('td.cell')[col]
    if (target) { const l = stops(target); (key === 'ArrowUp' ? l[l.length - 1] : l[0])?.focus() }
    return
  }
  const target = cells[col + (key === 'ArrowLeft' ? -1 : 1)]
  if (target) stops(target)[0]?.focus()
}
