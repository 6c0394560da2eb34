//! The board document: one Yjs model for all three templates (schema documented in README.md).
//! Pure functions over a Y.Doc, no DOM, so that they are unit-tested in Node.

import * as Y from 'yjs'
import { generateKeyBetween } from 'fractional-indexing'

/**
 * The schema version this client writes; older documents are upgraded by `migrate`.
 * 2: the emotion curve is everyone's own value per stage, averaged (`emotion_votes`); schema-1
 * clients wrote one shared value (`emotions`) and would write it where no one reads it any more.
 */
export const SCHEMA = 2

export type Template = 'journey-map' | 'service-blueprint' | 'canvas'
export const TEMPLATES: Template[] = ['journey-map', 'service-blueprint', 'canvas']

export type ItemType = 'card' | 'note' | 'comment' | 'connector' | 'group'

export const STAGE_KINDS = ['aware', 'apply', 'wait', 'receive', 'follow-up'] as const
export const JOURNEY_LANES = ['actions', 'touchpoints', 'thoughts', 'emotions', 'pain-points', 'opportunities'] as const
export const BLUEPRINT_LANES = ['physical-evidence', 'customer-actions', 'frontstage', 'backstage', 'support'] as const

/** The blueprint's lines, each drawn below the lane it names. */
export const BLUEPRINT_LINES: Record<string, 'interaction' | 'visibility' | 'internal'> = {
  'customer-actions': 'interaction',
  frontstage: 'visibility',
  backstage: 'internal'
}

export const NOTE_COLORS = ['yellow', 'pink', 'blue', 'green', 'orange', 'purple'] as const
export const EMOTION_MIN = -2
export const EMOTION_MAX = 2

/** Who is writing: the participant id is the pseudonym the server put in the token. */
export interface Author {
  participant: string
  name: string
  language: string
}

export interface Axis { id: string, kind: string, title: string, order: string }

export interface Hidden { reason: string, at?: number, pending_review?: boolean }

export interface ItemView {
  id: string
  type: ItemType
  text: string
  author: string
  authorName: string
  createdAt: number
  language: string
  lane?: string
  stage?: string
  order?: string
  parent?: string
  from?: string
  to?: string
  directed?: boolean
  x?: number
  y?: number
  w?: number
  h?: number
  color?: string
  /** Canvas notes: the group the note belongs to (an item id), if any. */
  group?: string
  hidden?: Hidden
  /** A card the server carried from another session of the process (issue 20): where it came from. */
  origin?: Origin
}

/** The source session and item of a carried card; its author fields stay the original author's. */
export interface Origin { session: string, item: string }

export const meta = (doc: Y.Doc): Y.Map<unknown> => doc.getMap('meta')
export const stagesMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('stages')
export const lanesMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('lanes')
export const itemsMap = (doc: Y.Doc): Y.Map<Y.Map<unknown>> => doc.getMap('items')
export const votesMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('votes')
export const emotionsMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('emotions')
export const emotionVotesMap = (doc: Y.Doc): Y.Map<number> => doc.getMap('emotion_votes')

let idCounter = 0
/** A stable, collision-free id: random part plus a per-tab counter. */
export function newId (prefix: string): string {
  const rnd = typeof crypto !== 'undefined' && 'getRandomValues' in crypto
    ? Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
    : Math.random().toString(16).slice(2)
  idCounter += 1
  return `${prefix}_${rnd}${idCounter.toString(36)}`
}

export function templateOf (doc: Y.Doc): Template | undefined {
  const t = meta(doc).get('template')
  return TEMPLATES.includes(t as Template) ? (t as Template) : undefined
}

export function schemaOf (doc: Y.Doc): number {
  const s = meta(doc).get('schema')
  return typeof s === 'number' ? s : 0
}

/** True when this client can render the document (a newer schema is shown read-only). */
export const isNewerSchema = (doc: Y.Doc): boolean => schemaOf(doc) > SCHEMA

function axisMap (kind: string, order: string): Y.Map<unknown> {
  const m = new Y.Map<unknown>()
  m.set('kind', kind)
  m.set('title', '')
  m.set('order', order)
  return m
}

function ordersFor (n: number): string[] {
  const out: string[] = []
  let prev: string | null = null
  for (let i = 0; i < n; i++) { prev = generateKeyBetween(prev, null); out.push(prev) }
  return out
}

/**
 * Seed an empty document from a template, as the server does at session creation. Only used for
 * development rooms (`--open-rooms`), which no server seeds. Deterministic ids, so that two
 * clients seeding the same empty room at once converge on one board (same keys, last writer wins).
 */
export function seed (doc: Y.Doc, template: Template): void {
  if (templateOf(doc)) return
  doc.transact(() => {
    meta(doc).set('schema', SCHEMA)
    meta(doc).set('template', template)
    if (template === 'canvas') return
    const so = ordersFor(STAGE_KINDS.length)
    STAGE_KINDS.forEach((k, i) => stagesMap(doc).set(`stage-${k}`, axisMap(k, so[i])))
    const lanes = template === 'journey-map' ? JOURNEY_LANES : BLUEPRINT_LANES
    const lo = ordersFor(lanes.length)
    lanes.forEach((k, i) => lanesMap(doc).set(`lane-${k}`, axisMap(k, lo[i])))
  })
}

/** Upgrade an older document in place (schema 0 = documents before versioning: no `meta.schema`). */
export function migrate (doc: Y.Doc): void {
  const from = schemaOf(doc)
  if (from >= SCHEMA || !templateOf(doc)) return
  doc.transact(() => {
    if (from < 1) {
      // schema 0 had no `type` on items: cards are the items placed in a cell, notes the others
      itemsMap(doc).forEach((m) => {
        if (!m.has('type')) m.set('type', m.has('lane') ? 'card' : 'note')
      })
    }
    // 1 -> 2 changes no data: a stage's shared `emotions` value stays what the curve shows
    // until someone gives their own value there (see `emotion`)
    meta(doc).set('schema', SCHEMA)
  })
}

const byOrder = (a: { order: string, id: string }, b: { order: string, id: string }): number =>
  a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

function axes (m: Y.Map<Y.Map<unknown>>): Axis[] {
  const out: Axis[] = []
  m.forEach((v, id) => {
    if (!(v instanceof Y.Map)) return
    out.push({ id, kind: String(v.get('kind') ?? 'custom'), title: String(v.get('title') ?? ''), order: String(v.get('order') ?? '') })
  })
  return out.sort(byOrder)
}

export const stages = (doc: Y.Doc): Axis[] => axes(stagesMap(doc))
export const lanes = (doc: Y.Doc): Axis[] => axes(lanesMap(doc))

function num (v: unknown): number | undefined { return typeof v === 'number' && Number.isFinite(v) ? v : undefined }
function str (v: unknown): string | undefined { return typeof v === 'string' ? v : undefined }

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

export const commentsOf = (doc: Y.Doc, parent: string): ItemView[] =>
  allItems(doc).filter((i) => i.type === 'comment' && i.parent === parent).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))

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

export const connectorsOf = (doc: Y.Doc, id: string): ItemView[] =>
  allItems(doc).filter((i) => i.type === 'connector' && (i.from === id || i.to === id))

/** Delete an item with what hangs on it: its comments, connectors and votes (a group's notes stay). */
export function deleteItem (doc: Y.Doc, id: string): void {
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
  })
}

// ---- votes: key `${item}|${participant}|${n}`, value = time cast (ms) ----

export function votesFor (doc: Y.Doc, itemId: string): number {
  let n = 0
  votesMap(doc).forEach((_, k) => { if (k.startsWith(`${itemId}|`)) n++ })
  return n
}

export function myVotesOn (doc: Y.Doc, itemId: string, participant: string): number {
  let n = 0
  votesMap(doc).forEach((_, k) => { const [i, p] = k.split('|'); if (i === itemId && p === participant) n++ })
  return n
}

/** Votes a participant cast on items that still exist. */
export function votesUsed (doc: Y.Doc, participant: string): number {
  const items = itemsMap(doc)
  let n = 0
  votesMap(doc).forEach((_, k) => { const [i, p] = k.split('|'); if (p === participant && items.has(i)) n++ })
  return n
}

/** Cast one vote; false when the participant has none left. */
export function vote (doc: Y.Doc, itemId: string, participant: string, limit: number): boolean {
  if (!itemsMap(doc).has(itemId) || votesUsed(doc, participant) >= limit) return false
  const votes = votesMap(doc)
  let n = 0
  while (votes.has(`${itemId}|${participant}|${n}`)) n++
  votes.set(`${itemId}|${participant}|${n}`, Date.now())
  return true
}

/** Take back one of my votes on an item. */
export function unvote (doc: Y.Doc, itemId: string, participant: string): boolean {
  const votes = votesMap(doc)
  const mine = Array.from(votes.keys()).filter((k) => { const [i, p] = k.split('|'); return i === itemId && p === participant })
    .sort((a, b) => Number(b.split('|')[2]) - Number(a.split('|')[2]))
  if (!mine.length) return false
  votes.delete(mine[0])
  return true
}

// ---- emotion curve (journey map): everyone's value per stage, -2..+2, averaged ----
// key `${stage}|${participant}` in `emotion_votes`; `emotions` (stage -> value) is schema 1's
// single shared value, still shown for stages where nobody has given their own

function emotionValues (doc: Y.Doc, stage: string): number[] {
  const out: number[] = []
  emotionVotesMap(doc).forEach((v, k) => { if (k.slice(0, k.lastIndexOf('|')) === stage && num(v) !== undefined) out.push(v) })
  return out
}

/** How many people gave a value for this stage. */
export const emotionCount = (doc: Y.Doc, stage: string): number => emotionValues(doc, stage).length

/** The curve at a stage: the average of everyone's value, to one decimal (or schema 1's shared value). */
export function emotion (doc: Y.Doc, stage: string): number | undefined {
  const values = emotionValues(doc, stage)
  if (!values.length) return num(emotionsMap(doc).get(stage))
  return Math.round(values.reduce((a, b) => a + b, 0) / values.length * 10) / 10
}

/** A participant's own value for a stage. */
export const myEmotion = (doc: Y.Doc, stage: string, participant: string): number | undefined =>
  num(emotionVotesMap(doc).get(`${stage}|${participant}`))

/** Set (or, with `undefined`, take back) a participant's own value for a stage. */
export function setEmotion (doc: Y.Doc, stage: string, participant: string, value: number | undefined): void {
  const key = `${stage}|${participant}`
  if (value === undefined) { emotionVotesMap(doc).delete(key); return }
  emotionVotesMap(doc).set(key, Math.max(EMOTION_MIN, Math.min(EMOTION_MAX, Math.round(value))))
}

// ---- structure: stages and lanes ----

function addAxis (m: Y.Map<Y.Map<unknown>>, prefix: string, title: string, afterId?: string): string {
  const list = axes(m)
  const i = afterId ? list.findIndex((a) => a.id === afterId) : list.length - 1
  const before = i >= 0 ? list[i].order || null : null
  const after = i + 1 < list.length ? list[i + 1].order || null : null
  const id = newId(prefix)
  const a = axisMap('custom', generateKeyBetween(before, after))
  a.set('title', title)
  m.set(id, a)
  return id
}

export const addStage = (doc: Y.Doc, title: string, afterId?: string): string => addAxis(stagesMap(doc), 'stage', title, afterId)
export const addLane = (doc: Y.Doc, title: string, afterId?: string): string => addAxis(lanesMap(doc), 'lane', title, afterId)

export function renameAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string, title: string): void {
  const m = (which === 'stages' ? stagesMap(doc) : lanesMap(doc)).get(id)
  if (m instanceof Y.Map) m.set('title', title)
}

/** Move a stage or lane one place left/up (-1) or right/down (+1). */
export function reorderAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string, delta: -1 | 1): void {
  const map = which === 'stages' ? stagesMap(doc) : lanesMap(doc)
  const list = axes(map)
  const i = list.findIndex((a) => a.id === id)
  const j = i + delta
  if (i < 0 || j < 0 || j >= list.length) return
  const others = list.filter((a) => a.id !== id)
  // position j among the others
  const before = j > 0 ? others[j - 1].order || null : null
  const after = j < others.length ? others[j].order || null : null
  map.get(id)?.set('order', generateKeyBetween(before, after))
}

/** Delete a stage or lane that holds no cards (cards are never deleted implicitly). */
export function deleteAxis (doc: Y.Doc, which: 'stages' | 'lanes', id: string): boolean {
  const key = which === 'stages' ? 'stage' : 'lane'
  if (allItems(doc).some((i) => i.type === 'card' && i[key] === id)) return false
  ;(which === 'stages' ? stagesMap(doc) : lanesMap(doc)).delete(id)
  return true
}

// ---- export ----

export interface ExportRow {
  id: string, type: string, template: string, lane: string, stage: string, parent: string, from: string, to: string, group: string,
  text: string, author: string, author_name: string, created_at: string, language: string, votes: number, hidden: string
}

export function exportRows (doc: Y.Doc, axisName: (which: 'stages' | 'lanes', a: Axis) => string): ExportRow[] {
  const stageById = new Map(stages(doc).map((a) => [a.id, axisName('stages', a)]))
  const laneById = new Map(lanes(doc).map((a) => [a.id, axisName('lanes', a)]))
  const t = templateOf(doc) ?? ''
  return allItems(doc).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map((i) => ({
    id: i.id,
    type: i.type,
    template: t,
    lane: i.lane ? laneById.get(i.lane) ?? i.lane : '',
    stage: i.stage ? stageById.get(i.stage) ?? i.stage : '',
    parent: i.parent ?? '',
    from: i.from ?? '',
    to: i.to ?? '',
    group: i.group ?? '',
    text: i.hidden ? '' : i.text,
    author: i.author,
    author_name: i.authorName,
    created_at: i.createdAt ? new Date(i.createdAt).toISOString() : '',
    language: i.language,
    votes: votesFor(doc, i.id),
    hidden: i.hidden ? i.hidden.reason || 'hidden' : ''
  }))
}

const csvCell = (v: string | number): string => {
  let s = String(v)
  // spreadsheet formula injection: a cell starting with = + - @ is read as a formula
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv (rows: ExportRow[]): string {
  const cols: (keyof ExportRow)[] = ['id', 'type', 'template', 'lane', 'stage', 'parent', 'from', 'to', 'group', 'text', 'author', 'author_name', 'created_at', 'language', 'votes', 'hidden']
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n'
}

/** The whole board as plain JSON (hidden items without text), schema-versioned. */
export function toJson (doc: Y.Doc): unknown {
  const items: Record<string, unknown> = {}
  itemsMap(doc).forEach((m, id) => {
    if (!(m instanceof Y.Map)) return
    const o = m.toJSON() as Record<string, unknown>
    if (o.hidden) delete o.text
    items[id] = o
  })
  return {
    schema: schemaOf(doc),
    template: templateOf(doc),
    stages: stages(doc),
    lanes: lanes(doc),
    items,
    votes: votesMap(doc).toJSON(),
    emotions: emotionsMap(doc).toJSON(),
    emotion_votes: emotionVotesMap(doc).toJSON()
  }
}
