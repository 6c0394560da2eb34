//! The toolbar above the board: add (notes, groups, stages, lanes), the visual/accessible view
//! switch, the canvas' zoom, votes left, exports, and the keyboard help. Rebuilt only when the
//! template, permissions, the view or the language change.

import type * as Y from 'yjs'
import * as M from './model'
import { h } from '../ui/dom'
import { t, type Key } from '../i18n'
import type { Rules } from './rules'

/** What the toolbar shows and what its buttons do. */
export interface ToolbarContext {
  doc: Y.Doc
  canEdit: boolean
  /** What the rules allow now (issue 27): the structure (stages, lanes, groups), new notes. */
  rules: Rules
  view: 'visual' | 'text'
  /** A phone: what is seldom used (add a stage or lane, the exports) waits behind "More". */
  narrow: boolean
  /** Saves the board as a file (the exports are research's: research/export.ts). */
  exportAs: (format: 'png' | 'csv' | 'json') => void
  votesLeft: () => string
  addNote: () => void
  addGroup: () => void
  setView: (view: 'visual' | 'text') => void
  /** Where the zoom controls (a Preact component) are mounted. */
  zoom: HTMLElement
}

/** The toolbar's content for the board as it is now. */
export function toolbarContent (c: ToolbarContext): HTMLElement[] {
  const tpl = M.templateOf(c.doc)
  const out: HTMLElement[] = []
  /** The seldom used tools: in the bar on a wide screen, behind "More" on a phone. */
  const more: HTMLElement[] = []
  const structure = c.canEdit && c.rules.structure() !== 'read'
  if (c.canEdit && tpl === 'canvas') {
    if (c.rules.mayAdd()) out.push(h('button', { type: 'button', class: 'btn primary', id: 'add-note', onclick: c.addNote, text: t('canvas.addNote') }))
    if (structure) out.push(h('button', { type: 'button', class: 'btn', id: 'add-group', onclick: c.addGroup, text: t('canvas.addGroup') }))
  } else if (structure && tpl) {
    ;(c.narrow ? more : out).push(
      h('button', { type: 'button', class: 'btn', id: 'add-stage', onclick: () => M.addStage(c.doc, ''), text: t('board.addStage') }),
      h('button', { type: 'button', class: 'btn', id: 'add-lane', onclick: () => M.addLane(c.doc, ''), text: t('board.addLane') }))
  }
  if (tpl) {
    const choice = (view: 'visual' | 'text', label: Key): HTMLElement =>
      h('button', { type: 'button', class: 'btn', id: `view-${view}`, 'aria-pressed': String(c.view === view), onclick: () => c.setView(view), text: t(label) })
    out.push(h('div', { class: 'view-switch', role: 'group', 'aria-label': t('view.label') },
      choice('visual', 'view.visual'), choice('text', tpl === 'canvas' ? 'view.list' : 'view.grid')))
  }
  if (tpl === 'canvas') out.push(c.zoom)
  if (c.canEdit && c.rules.mayVote()) out.push(h('span', { class: 'votes-left', id: 'votes-left', text: c.votesLeft() }))
  more.push(
    h('button', { type: 'button', class: 'btn', id: 'export-png', onclick: () => c.exportAs('png'), text: t('export.png') }),
    h('button', { type: 'button', class: 'btn', id: 'export-print', onclick: () => window.print(), text: t('export.print') }),
    h('button', { type: 'button', class: 'btn', id: 'export-csv', onclick: () => c.exportAs('csv'), text: t('export.csv') }),
    h('button', { type: 'button', class: 'btn', id: 'export-json', onclick: () => c.exportAs('json'), text: t('export.json') }))
  if (c.narrow) {
    out.push(h('details', { class: 'tools-menu', id: 'tools-menu' },
      h('summary', { class: 'btn', text: t('toolbar.more') }), h('div', { class: 'tools-menu-items' }, ...more)))
  } else out.push(h('span', { class: 'spacer' }), ...more)
  const help = tpl === 'canvas' ? `${t('canvas.keyboardHelp')} ${t('zoom.help')}` : t('board.keyboardHelp')
  if (c.canEdit) out.push(h('p', { class: 'kbd-help', id: 'kbd-help', text: `${help} ${t('card.menuHelp')}` }))
  return out
}
