//! Editing the board's items: cards in cells, canvas notes and groups (geometry, membership,
//! colour), comments, arrows and connectors, and deleting an item with what hangs on it.

import * as Y from 'yjs'
import { generateKeyBetween } from 'fractional-indexing'
import { NOTE_COLORS, itemsMap, newId, votesMap, type Author, type ItemType } from './schema'
import { boxOf, cardsIn, groupAt, item, itemView, membersOf, allItems } from './read'

function baseItem (type: ItemType, author: Author, text: string): Y.Map<unknown> {
  const m = new Y.Map<unknown>()
  m.set('type', type)
  m.set('text', new Y.Text(text))
  m.set('author', author.participant)
  m.set('author_name', author.name)
  m.set('created_at', Date.now())
  m.set('language', author.language)
  return m
}

/** Add a card at the end of a cell; returns its id. */
export function addCard (doc: Y.Doc, author: Author, lane: string, stage: string, text = ''): string {
  const id = newId('card')
  const cell = cardsIn(doc, lane, stage)
  const last = cell.length ? cell[cell.length - 1].order ?? null : null
  const m = baseItem('card', author, text)
  m.set('lane', lane)
  m.set('stage', stage)
  m.set('order', generateKeyBetween(last || null, null))
  itemsMap(doc).set(id, m)
  return id
}

/**
 * Move a card into a cell at position `index` among that cell's other cards (default: the end).
 * A move rewrites lane, stage and order of the one card map, so a card can never appear twice.
 */
export function moveCard (doc: Y.Doc, id: string, lane: string, stage: string, index?: number): void {
  const m = itemsMap(doc).get(id)
  if (!(m instanceof Y.Map)) return
  const others = cardsIn(doc, lane, stage).filter((c) => c.id !== id)
  const at = index === undefined ? others.length : Math.max(0, Math.min(index, others.length))
  const before = at > 0 ? others[at - 1].order || null : null
  const after = at < others.length ? others[at].order || null : null
  let order: string
  try {
    order = generateKeyBetween(before, after)
  } catch {
    // equal keys (two clients inserted at the same spot concurrently): place after `before`
    order = generateKeyBetween(before, null)
  }
  doc.transact(() => {
    m.set('lane', lane)
    m.set('stage', stage)
    m.set('order', order)
  })
}

export function addNote (doc: Y.Doc, author: Author, x: number, y: number, text = '', color: string = NOTE_COLORS[0]): string {
  const id = newId('note')
  const m = baseItem('note', author, text)
  m.set('x', Math.round(x)); m.set('y', Math.round(y)); m.set('w', 160); m.set('h', 120); m.set('color', color)
  itemsMap(doc).set(id, m)
  return id
}

export function addGroup (doc: Y.Doc, author: Author, x: number, y: number, w: number, h: number, title = ''): string {
  const id = newId('group')
  const m = baseItem('group', author, title)
  m.set('x', Math.round(x)); m.set('y', Math.round(y)); m.set('w', Math.round(w)); m.set('h', Math.round(h))
  itemsMap(doc).set(id, m)
  return id
}

/**
 * Move or resize a canvas item. A note that lands with its centre inside a group becomes one
 * of its members (and leaves it when moved out); a group that moves takes its members along,
 * in the same transaction, so that no one sees the group without its notes.
 */
export function setGeometry (doc: Y.Doc, id: string, g: { x?: number, y?: number, w?: number, h?: number }): void {
  const m = itemsMap(doc).get(id)
  if (!(m instanceof Y.Map)) return
  const before = itemView(id, m)
  doc.transact(() => {
    if (g.x !== undefined) m.set('x', Math.max(0, Math.round(g.x)))
    if (g.y !== undefined) m.set('y', Math.max(0, Math.round(g.y)))
    if (g.w !== undefined) m.set('w', Math.max(80, Math.round(g.w)))
    if (g.h !== undefined) m.set('h', Math.max(60, Math.round(g.h)))
    const after = itemView(id, m)
    if (before.type === 'group') {
      const dx = (after.x ?? 0) - (before.x ?? 0); const dy = (after.y ?? 0) - (before.y ?? 0)
      if (dx || dy) {
        for (const n of membersOf(doc, id)) {
          const nm = itemsMap(doc).get(n.id)!
          nm.set('x', Math.max(0, (n.x ?? 0) + dx)); nm.set('y', Math.max(0, (n.y ?? 0) + dy))
        }
      }
    } else if (before.type === 'note') {
      const b = boxOf(after)
      setMembership(m, groupAt(doc, b.x + b.w / 2, b.y + b.h / 2))
    }
  })
}

function setMembership (note: Y.Map<unknown>, group: string | undefined): void {
  if (note.get('group') === group) return
  if (group) note.set('group', group); else note.delete('group')
}

/**
 * Put a note into a group (or take it out: `undefined`), as a keyboard user does from a list:
 * the note is also placed inside the group's rectangle, below its members, so that the picture
 * agrees with the membership.
 */
export function joinGroup (doc: Y.Doc, note: string, group: string | undefined): void {
  const m = itemsMap(doc).get(note)
  const gm = group ? item(doc, group) : undefined
  if (!(m instanceof Y.Map) || m.get('type') !== 'note' || (group && gm?.type !== 'group')) return
  doc.transact(() => {
    if (gm) {
      const g = boxOf(gm)
      const k = membersOf(doc, gm.id).filter((n) => n.id !== note).length
      const perRow = Math.max(1, Math.floor((g.w - 16) / 176))
      m.set('x', g.x + 16 + (k % perRow) * 176)
      m.set('y', g.y + 64 + Math.floor(k / perRow) * 136)
    }
    setMembership(m, gm?.id)
  })
}

export function setColor (doc: Y.Doc, id: string, color: string): void {
  const m = itemsMap(doc).get(id)
  if (m instanceof Y.Map && (NOTE_COLORS as readonly string[]).includes(color)) m.set('color', color)
}

export function addComment (doc: Y.Doc, author: Author, parent: string, text: string): string {
  const id = newId('comment')
  const m = baseItem('comment', author, text)
  m.set('parent', parent)
  itemsMap(doc).set(id, m)
  return id
}

/** An arrow (blueprint) or connector (canvas) between two items; `directed` false = two-way. */
export function addConnector (doc: Y.Doc, author: Author, from: string, to: string, directed = true): string | undefined {
  if (from === to || !item(doc, from) || !item(doc, to)) return undefined
  const existing = allItems(doc).find((i) => i.type === 'connector' && i.from === from && i.to === to)
  if (existing) return existing.id
  const id = newId('conn')
  const m = baseItem('connector', author, '')
  m.set('from', from); m.set('to', to); m.set('directed', directed)
  itemsMap(doc).set(id, m)
  return id
}

/** One-way (an arrow, flow) or two-way (co-dependency). */
export function setDirected (doc: Y.Doc, id: string, directed: boolean): void {
  const m = itemsMap(doc).get(id)
  if (m instanceof Y.Map && m.get('type') === 'connector') m.set('directed', directed)
}

/**
 * Delete an item with what hangs on it: its comments, connectors and votes (a group's notes stay);
 * `origin` names the transaction (an undo manager that tracks deletions).
 */
export function deleteItem (doc: Y.Doc, id: string, origin?: unknown): void {
  doc.transact(() => {
    const items = itemsMap(doc)
    const doomed = new Set([id])
    items.forEach((m, k) => {
      if (!(m instanceof Y.Map)) return
      if (m.get('parent') === id || m.get('from') === id || m.get('to') === id) doomed.add(k)
      if (m.get('group') === id) m.delete('group')
    })
    for (const k of doomed) items.delete(k)
    const votes = votesMap(doc)
    for (const key of Array.from(votes.keys())) if (doomed.has(key.split('|')[0])) votes.delete(key)
  }, origin)
}
