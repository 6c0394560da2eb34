//! Which parts of the board a Yjs change touches. `BoardIndex` remembers, for every item, where it
//! shows (its cell, the card a comment hangs on, the two ends of a connector, its group), so that
//! a change, even a deletion whose data is already gone, names the topics of exactly the parts of
//! the page that show it. The page re-renders those and nothing else: a keystroke in one card is
//! one card's work, whatever the size of the board. Pure (no DOM), so it is unit-tested in Node.

import * as Y from 'yjs'
import * as M from './model'

/** A name for one thing on screen that a component subscribes to and a change publishes. */
export type Topic = string

export const itemTopic = (id: string): Topic => `item:${id}`
/** The cards of one cell, and their order. */
export const cellTopic = (lane: string, stage: string): Topic => `cell:${lane}/${stage}`
/** What an item is called elsewhere (arrows "to: …", "In group: …"): its text and hidden state. */
export const nameTopic = (id: string): Topic => `name:${id}`
/** Whether a stage (lane) holds cards: its delete button is enabled only when empty. */
export const stageTopic = (id: string): Topic => `stage:${id}`
export const laneTopic = (id: string): Topic => `lane:${id}`
/** Others' selection and editing on one item (published by the page's presence, not by Yjs). */
export const presenceTopic = (id: string): Topic => `presence:${id}`
export const AXES: Topic = 'axes'
export const CURVE: Topic = 'curve'
export const CONNECTORS: Topic = 'connectors'
/** Any cell's cards came, went or moved (what is drawn over the table follows the cards). */
export const CELLS: Topic = 'cells'
export const CANVAS: Topic = 'canvas'
export const VOTES: Topic = 'votes'
export const META: Topic = 'meta'
/** The canvas' zoom (this person's own, not in the document). */
export const ZOOM: Topic = 'zoom'

/** Where an item shows, as last seen. */
interface Placement {
  type: string
  lane?: string
  stage?: string
  parent?: string
  from?: string
  to?: string
  group?: string
}

/** Fields whose change moves an item to another place on the page (not just changes its look). */
const PLACEMENT_KEYS = ['type', 'lane', 'stage', 'order', 'parent', 'from', 'to', 'group', 'x', 'y', 'w', 'h']

const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined

function add (index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return
  let s = index.get(key)
  if (!s) { s = new Set(); index.set(key, s) }
  s.add(id)
}

function remove (index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (key === undefined) return
  const s = index.get(key)
  s?.delete(id)
  if (s && !s.size) index.delete(key)
}

export class BoardIndex {
  /** Item id -> where it shows. */
  private readonly placed = new Map<string, Placement>()
  /** `lane/stage` -> the cards in that cell. */
  private readonly cells = new Map<string, Set<string>>()
  /** Item id -> its comments. */
  private readonly comments = new Map<string, Set<string>>()
  /** Item id -> the connectors that start or end at it. */
  private readonly links = new Map<string, Set<string>>()
  /** Group id -> its notes. */
  private readonly members = new Map<string, Set<string>>()
  /** Notes and groups: what the canvas positions. */
  private readonly onCanvas = new Set<string>()

  constructor (private readonly doc: Y.Doc) {
    M.itemsMap(doc).forEach((m, id) => { if (m instanceof Y.Map) this.place(id, m) })
  }

  /** The ids of a cell's cards, in their order (ties broken by id, as everywhere). */
  cardsIn (lane: string, stage: string): string[] {
    const items = M.itemsMap(this.doc)
    return [...this.cells.get(`${lane}/${stage}`) ?? []]
      .map((id) => ({ id, order: str(items.get(id)?.get('order')) ?? '' }))
      .sort((a, b) => a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : 1)
      .map((c) => c.id)
  }

  /** An item's comments, oldest first. */
  commentsOf (id: string): M.ItemView[] {
    return this.views(this.comments.get(id)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }

  /** The connectors (arrows) that start or end at an item. */
  connectorsOf (id: string): M.ItemView[] { return this.views(this.links.get(id)) }

  /** Every connector on the board. */
  connectors (): M.ItemView[] { return this.views(new Set([...this.links.values()].flatMap((s) => [...s]))) }

  /** A group's notes, in reading order. */
  membersOf (group: string): M.ItemView[] { return M.readingOrder(this.views(this.members.get(group))) }

  /** The canvas' notes and groups, in reading order. */
  canvasItems (): M.ItemView[] { return M.readingOrder(this.views(this.onCanvas)) }

  /** Whether any card is in the stage (`which` = 'stages') or lane. */
  hasCards (which: 'stages' | 'lanes', id: string): boolean {
    for (const key of this.cells.keys()) {
      const [lane, stage] = key.split('/')
      if ((which === 'stages' ? stage : lane) === id) return true
    }
    return false
  }

  /** Bring the index up to date with one transaction's events on `items`; what they touch. */
  itemsChanged (events: Y.YEvent<Y.AbstractType<unknown>>[]): Set<Topic> {
    const items = M.itemsMap(this.doc)
    const topics = new Set<Topic>()
    for (const ev of events) {
      if (ev.target === items) {
        ev.changes.keys.forEach((_, id) => {
          this.touch(topics, this.unplace(id))
          const m = items.get(id)
          if (m instanceof Y.Map) this.touch(topics, this.place(id, m))
          topics.add(itemTopic(id)).add(nameTopic(id))
        })
        continue
      }
      const id = String(ev.path[0] ?? '')
      if (!id) continue
      topics.add(itemTopic(id))
      const was = this.placed.get(id)
      if (ev.target instanceof Y.Text) {
        topics.add(nameTopic(id))
        if (was?.parent) topics.add(itemTopic(was.parent))
        continue
      }
      const keys = (ev as Y.YMapEvent<unknown>).keysChanged ?? new Set<string>()
      if (keys.has('hidden')) topics.add(nameTopic(id))
      const m = items.get(id)
      if (PLACEMENT_KEYS.some((k) => keys.has(k)) && m instanceof Y.Map) {
        this.touch(topics, this.unplace(id))
        this.touch(topics, this.place(id, m))
      } else if (was?.type === 'connector' || was?.parent) {
        // a connector turned one- or two-way, a comment hidden: the items they hang on show it
        this.touch(topics, was)
      }
    }
    return topics
  }

  /** A change to `votes` (keys `item|participant|n`): the voted items and the votes-left count. */
  votesChanged (ev: { keysChanged: Set<string> }): Set<Topic> {
    const topics = new Set<Topic>([VOTES])
    for (const key of ev.keysChanged) topics.add(itemTopic(key.split('|')[0]))
    return topics
  }

  private views (ids: Set<string> | undefined): M.ItemView[] {
    const items = M.itemsMap(this.doc)
    const out: M.ItemView[] = []
    for (const id of ids ?? []) { const m = items.get(id); if (m instanceof Y.Map) out.push(M.itemView(id, m)) }
    return out
  }

  /** The topics of everything that shows an item placed so. */
  private touch (topics: Set<Topic>, p: Placement | undefined): void {
    if (!p) return
    if (p.type === 'card' && p.lane && p.stage) topics.add(cellTopic(p.lane, p.stage)).add(stageTopic(p.stage)).add(laneTopic(p.lane)).add(CELLS)
    if (p.type === 'note' || p.type === 'group') topics.add(CANVAS)
    if (p.parent) topics.add(itemTopic(p.parent))
    if (p.type === 'connector') {
      topics.add(CONNECTORS)
      if (p.from) topics.add(itemTopic(p.from))
      if (p.to) topics.add(itemTopic(p.to))
    }
    if (p.group) topics.add(itemTopic(p.group))
  }

  private place (id: string, m: Y.Map<unknown>): Placement {
    const v = M.itemView(id, m)
    const p: Placement = { type: v.type, lane: v.lane, stage: v.stage, parent: v.parent, from: v.from, to: v.to, group: v.group }
    this.placed.set(id, p)
    if (p.type === 'card' && p.lane && p.stage) add(this.cells, `${p.lane}/${p.stage}`, id)
    if (p.type === 'note' || p.type === 'group') this.onCanvas.add(id)
    if (p.type === 'comment') add(this.comments, p.parent, id)
    if (p.type === 'connector') { add(this.links, p.from, id); add(this.links, p.to, id) }
    if (p.type === 'note') add(this.members, p.group, id)
    return p
  }

  private unplace (id: string): Placement | undefined {
    const p = this.placed.get(id)
    if (!p) return undefined
    this.placed.delete(id)
    if (p.lane && p.stage) remove(this.cells, `${p.lane}/${p.stage}`, id)
    this.onCanvas.delete(id)
    remove(this.comments, p.parent, id)
    remove(this.links, p.from, id); remove(this.links, p.to, id)
    remove(this.members, p.group, id)
    return p
  }
}
