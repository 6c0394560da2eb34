//! What a person does to the board's items (from a card's menu, the keyboard or the mouse): each
//! action edits the document through the model and says where keyboard focus goes next; the
//! components re-render from the document, so no action redraws anything itself.

import * as M from './model'
import { t, axisName } from '../i18n'
import type { BoardStore, ItemRequests } from './store'
import type { Schema } from '../api/client'
import { errorText } from '../ui/error-text'

/** Click or Space on an item: select it, or finish the arrow being drawn to it. */
export function activate (store: BoardStore, id: string): void {
  const from = store.connectFrom
  if (from && from !== id) {
    M.addConnector(store.doc, store.env.author(), from, id)
    setConnectFrom(store, undefined)
  }
  store.select(id)
}

/** Start (or cancel: undefined) drawing an arrow or connector from an item. */
export function setConnectFrom (store: BoardStore, id: string | undefined): void {
  store.connectFrom = id
  store.root?.classList.toggle('connecting', !!id)
  if (id) store.env.announcer.say(t('arrow.pick'))
}

/** Add an empty card at the end of a cell (into the drafts in a private step) and open its editor. */
export function addCard (store: BoardStore, lane: string, stage: string): void {
  if (!store.env.canEdit() || !store.env.rules().mayAdd(lane, stage)) return
  const into = store.addTarget()
  const id = M.addCard(into.doc, into.env.author(), lane, stage)
  into.select(id)
  startEditing(into, id)
}

/** Add a note at a canvas point (into the drafts in a private step) and open its editor. */
export function addNote (store: BoardStore, x: number, y: number): void {
  if (!store.env.canEdit() || !store.env.rules().mayAdd()) return
  const into = store.addTarget()
  const id = M.addNote(into.doc, into.env.author(), x, y)
  into.select(id)
  startEditing(into, id)
}

/** Add a group at a canvas point and open its title's editor. */
export function addGroup (store: BoardStore, x: number, y: number): void {
  const id = M.addGroup(store.doc, store.env.author(), x, y, 400, 300)
  store.select(id)
  startEditing(store, id)
}

/** Open an item's text editor (the card renders it, bound to the item's Y.Text, and focuses it). */
export function startEditing (store: BoardStore, id: string): void {
  const c = M.item(store.doc, id)
  if (!store.env.canEdit() || !c || !store.env.rules().mayEditText(c) || !M.itemText(store.doc, id)) return
  store.select(id)
  store.setEditing(id)
}

/** Close the editor; with `refocus`, keyboard focus goes back to the card. */
export function stopEditing (store: BoardStore, refocus: boolean): void {
  const id = store.editing
  if (!id) return
  store.setEditing(undefined)
  if (refocus) store.focusItem(id)
}

/** Cast one of this person's votes (into their ballot box in a secret vote); said aloud when none is left. */
export function vote (store: BoardStore, id: string): void {
  if (!M.vote(store.doc, id, store.env.author().participant, store.env.voteLimit(), store.env.ballotBox())) store.env.announcer.say(t('vote.none'))
}

/** Take back one of this person's votes on an item. */
export function unvote (store: BoardStore, id: string): void {
  M.unvote(store.doc, id, store.env.author().participant, store.env.ballotBox())
}

/**
 * Delete an item (asked first, by the card's confirmation); focus goes to the next card on the
 * page (or the one before), and the page offers to undo it for a while.
 */
export function deleteItem (store: BoardStore, id: string): void {
  const cards = [...store.root?.querySelectorAll<HTMLElement>('[data-key^="card:"]') ?? []]
  const i = cards.findIndex((c) => c.dataset.id === id)
  const next = (cards[i + 1] ?? cards[i - 1])?.dataset.id
  const name = itemName(M.item(store.doc, id)).slice(0, 40)
  M.deleteItem(store.doc, id, store.deletions)
  store.select(undefined)
  if (next) store.focusItem(next); else store.root?.closest<HTMLElement>('#board')?.focus()
  store.env.offerUndo(t('undo.deleted', { text: name }), () => { store.deletions.undo(); store.focusItem(id) })
}

/** Move a card one cell: dx = stages, dy = lanes; said aloud, since the card leaves the view. */
export function moveBy (store: BoardStore, c: M.ItemView, dx: number, dy: number): void {
  if (!store.env.canEdit() || c.type !== 'card') return
  const stages = M.stages(store.doc); const lanes = M.lanes(store.doc)
  const si = stages.findIndex((s) => s.id === c.stage) + dx
  const li = lanes.findIndex((l) => l.id === c.lane) + dy
  if (si < 0 || si >= stages.length || li < 0 || li >= lanes.length || !store.env.rules().mayAdd(lanes[li].id, stages[si].id)) return
  M.moveCard(store.doc, c.id, lanes[li].id, stages[si].id)
  if (store.narrow) store.showStage(si)
  store.select(c.id)
  store.focusItem(c.id)
  store.env.announcer.say(`${axisName('lanes', lanes[li])}, ${axisName('stages', stages[si])}`)
}

/** Alt+↑/↓: one place up or down within the card's cell. */
export function reorder (store: BoardStore, c: M.ItemView, delta: -1 | 1): void {
  if (!c.lane || !c.stage) return
  const cell = store.index.cardsIn(c.lane, c.stage)
  const j = cell.indexOf(c.id) + delta
  if (j < 0 || j >= cell.length) return
  M.moveCard(store.doc, c.id, c.lane, c.stage, j)
  store.focusItem(c.id)
}

/** A moderation request from a card: its failure is said, its success shows in the console. */
export function moderate (store: BoardStore, request: (server: ItemRequests) => Promise<unknown>): void {
  const s = store.env.session()
  if (!s) return
  request(s).then(() => store.env.moderated(), (e) => store.env.announcer.say(t('mod.error', { error: errorText(e) })))
}

/** Hide an item for everyone (moderators), with a reason. */
export function hide (store: BoardStore, id: string, reason: string): void {
  moderate(store, (s) => s.hide(id, reason || 'moderation'))
}

/** Show a hidden item again (moderators). */
export function unhide (store: BoardStore, id: string): void {
  moderate(store, (s) => s.unhide(id))
}

/** Report an item to the moderators, with a reason. */
export function report (store: BoardStore, id: string, reason: Schema<'ReportReason'>): void {
  const s = store.env.session()
  if (!s) return
  s.report(id, reason).then(() => store.env.announcer.say(t('report.sent')), (e) => store.env.announcer.say(t('mod.error', { error: errorText(e) })))
}

/** How an item is named in lists and announcements: its text, never hidden text. */
export function itemName (i: M.ItemView | undefined): string {
  if (!i) return '?'
  if (i.hidden) return '…'
  return i.text || t(i.type === 'group' ? 'canvas.untitledGroup' : 'board.cardEmpty')
}
