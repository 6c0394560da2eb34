//! Reading the board's items: one item as a plain view, all of them, a cell's cards in order, the
//! canvas' notes in reading order, a note's group, an item's comments and arrows.

import * as Y from 'yjs'
import { itemsMap, type Hidden, type ItemType, type ItemView, type Origin } from './schema'
import { byOrder, num, str } from './fields'

export function itemView (id: string, m: Y.Map<unknown>): ItemView {
  const text = m.get('text')
  const hidden = m.get('hidden')
  const s = (key: string): string | undefined => str(m.get(key))
  const n = (key: string): number | undefined => num(m.get(key))
  return {
    id,
    type: (s('type') ?? (m.has('lane') ? 'card' : 'note')) as ItemType,
    text: text instanceof Y.Text ? text.toString() : '',
    author: s('author') ?? '',
    authorName: s('author_name') ?? '',
    createdAt: n('created_at') ?? 0,
    language: s('language') ?? '',
    lane: s('lane'), stage: s('stage'), order: s('order'), parent: s('parent'),
    from: s('from'), to: s('to'), directed: m.get('directed') !== false,
    x: n('x'), y: n('y'), w: n('w'), h: n('h'),
    color: s('color'), group: s('group'),
    origin: originOf(m.get('origin')),
    hidden: hidden && typeof hidden === 'object' && !(hidden instanceof Y.AbstractType)
      ? { reason: String((hidden as Hidden).reason ?? ''), at: (hidden as Hidden).at, pending_review: (hidden as Hidden).pending_review }
      : (hidden instanceof Y.Map ? { reason: String(hidden.get('reason') ?? '') } : undefined)
  }
}

/** `origin` as the server writes it (a map, or plain JSON): `{session, item, author}`. */
function originOf (v: unknown): Origin | undefined {
  const o = v instanceof Y.Map ? v.toJSON() : v
  if (!o || typeof o !== 'object') return undefined
  const { session, item } = o as Record<string, unknown>
  return typeof session === 'string' && typeof item === 'string' ? { session, item } : undefined
}

export function allItems (doc: Y.Doc): ItemView[] {
  const out: ItemView[] = []
  itemsMap(doc).forEach((m, id) => { if (m instanceof Y.Map) out.push(itemView(id, m)) })
  return out
}

export function item (doc: Y.Doc, id: string): ItemView | undefined {
  const m = itemsMap(doc).get(id)
  return m instanceof Y.Map ? itemView(id, m) : undefined
}

export function itemText (doc: Y.Doc, id: string): Y.Text | undefined {
  const t = itemsMap(doc).get(id)?.get('text')
  return t instanceof Y.Text ? t : undefined
}

/** The cards of one cell, in order. */
export function cardsIn (doc: Y.Doc, lane: string, stage: string): ItemView[] {
  return allItems(doc).filter((i) => i.type === 'card' && i.lane === lane && i.stage === stage)
    .map((i) => ({ ...i, order: i.order ?? '' })).sort((a, b) => byOrder(a as { order: string, id: string }, b as { order: string, id: string }))
}

/** Canvas notes and groups in reading order: top to bottom, then left to right (rows of 40 px). */
export function readingOrder<T extends { x?: number, y?: number, id: string }> (list: T[]): T[] {
  const row = (i: T): number => Math.floor((i.y ?? 0) / 40)
  return [...list].sort((a, b) => row(a) - row(b) || (a.x ?? 0) - (b.x ?? 0) || (a.id < b.id ? -1 : 1))
}

/** Geometry of a canvas item, with defaults for fields an older client may not have written. */
export const boxOf = (i: ItemView): { x: number, y: number, w: number, h: number } =>
  ({ x: i.x ?? 0, y: i.y ?? 0, w: i.w ?? (i.type === 'group' ? 400 : 160), h: i.h ?? (i.type === 'group' ? 300 : 120) })

/** The topmost (last created) group whose rectangle holds the point, if any. */
export function groupAt (doc: Y.Doc, x: number, y: number): string | undefined {
  const inside = allItems(doc).filter((g) => {
    if (g.type !== 'group') return false
    const b = boxOf(g)
    return x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h
  })
  return inside.sort((a, b) => b.createdAt - a.createdAt)[0]?.id
}

/** The notes of a group, in reading order. */
export const membersOf = (doc: Y.Doc, group: string): ItemView[] =>
  readingOrder(allItems(doc).filter((i) => i.type === 'note' && i.group === group))

export const commentsOf = (doc: Y.Doc, parent: string): ItemView[] =>
  allItems(doc).filter((i) => i.type === 'comment' && i.parent === parent).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))

export const connectorsOf = (doc: Y.Doc, id: string): ItemView[] =>
  allItems(doc).filter((i) => i.type === 'connector' && (i.from === id || i.to === id))
