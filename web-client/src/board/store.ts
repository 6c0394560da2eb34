//! The board's live state for its components: the Y.Doc with its index (routing.ts), what this
//! person has selected, open or is connecting, others' presence per item, and the topics that tell
//! exactly the affected components to re-render (`useTopics`). Components read the document when
//! they render; the store only says *who* must render again.

import * as Y from 'yjs'
import { createContext } from 'preact'
import { useContext, useLayoutEffect, useReducer } from 'preact/hooks'
import * as M from './model'
import { BoardIndex, itemTopic, presenceTopic, AXES, CURVE, META, type Topic } from './routing'
import type { Announcer } from '../ui/announcer'
import type { Schema } from '../api/client'
import { publishing } from './render-timing'
import type { Rules } from './rules'

/** Every subscriber listens to this one too: language, permissions or the view changed. */
export const ALL: Topic = 'all'

/** What the board needs from the page around it (identity, permissions, the session). */
export interface BoardEnv {
  announcer: Announcer
  author: () => M.Author
  canEdit: () => boolean
  isModerator: () => boolean
  voteLimit: () => number
  /** The session is in a vote phase: cards show a vote button of their own. */
  votingNow: () => boolean
  /** What cards ask of the session's server (moderation, reports); none in a development room. */
  session: () => ItemRequests | undefined
  /** Tell the server's side of the page (the moderator console) that something was moderated. */
  moderated: () => void
  /** Tell others what this person has selected or is editing (presence). */
  setPresence: (field: 'selection' | 'editing', id: string | null) => void
  /** What this person may do where, now (roles, ownership, the step's zones). */
  rules: () => Rules
  /** In a secret vote, the person's own ballot box (their draft document): their votes wait there. */
  ballotBox: () => Y.Doc | undefined
  /** Whether vote tallies are shown (not in a secret vote before its reveal). */
  talliesShown: () => boolean
  /** A deletion happened that `undo` reverts, for a while: the page offers it. */
  offerUndo: (what: string, undo: () => void) => void
}

/** The server's calls on a board item, made with this person's token. */
export interface ItemRequests {
  hide: (item: string, reason: string) => Promise<unknown>
  unhide: (item: string) => Promise<unknown>
  report: (item: string, reason: Schema<'ReportReason'>) => Promise<unknown>
}

/** Someone else on an item: shown as a badge with their name and colour. */
export interface PeerOnItem { name: string, color: string, editing: boolean }

/** One board's live state: what components render from and what tells them to render again. */
export class BoardStore {
  readonly index: BoardIndex
  private readonly subscribers = new Map<Topic, Set<() => void>>()
  /** Per subscriber that says so, whether what it renders is on screen now. */
  private readonly shown = new Map<() => void, () => boolean>()
  /** Cells' card lists the browser skips (content-visibility, off screen): no frame for their changes. */
  readonly skipped = new WeakSet<Element>()
  /** The selected item: its comments open, its arrows listed (one at a time). */
  selected?: string
  /** The item whose text this person is editing. */
  editing?: string
  /** An arrow or connector being drawn from this item: the next item activated is its end. */
  connectFrom?: string
  /** The stage shown on a phone (one at a time). */
  stageIndex = 0
  /** The board as drawn, or its accessible grid/list view (chosen here, kept per browser). */
  view: 'visual' | 'text' = localStorage.getItem('cocreate.view') === 'text' ? 'text' : 'visual'
  /** The canvas' zoom: 1 = board pixels. */
  zoom = 1
  /** A phone-sized screen: always the accessible view, one stage at a time. */
  narrow = false
  /** The board's element: where focus and the next card are looked for. */
  root?: HTMLElement
  /** Where keyboard focus goes once that item has rendered: the card itself or its comment field. */
  wantFocus?: { id: string, part: 'card' | 'comment' }
  /** Others on each item, as last published. */
  private peersOn = new Map<string, PeerOnItem[]>()
  /** This person's private drafts (a private step): shown in the board, in the cells they chose. */
  drafts?: BoardStore
  /** New cards and notes go into the drafts (a private step under way), not onto the board. */
  writeDrafts = false
  /** Reverts this person's deletions (one at a time), so that a deletion can be undone for a while. */
  readonly deletions: Y.UndoManager

  constructor (readonly doc: Y.Doc, readonly env: BoardEnv) {
    this.index = new BoardIndex(doc)
    // others' changes (remote transactions) to what is on screen render with the next frame (publish)
    const byOthers = (tr: Y.Transaction): boolean => !tr.local
    M.itemsMap(doc).observeDeep((events, tr) => this.publish(this.index.itemsChanged(events), byOthers(tr)))
    M.votesMap(doc).observe((ev, tr) => this.publish(this.index.votesChanged(ev), byOthers(tr)))
    M.stagesMap(doc).observeDeep((_, tr) => this.publish([AXES], byOthers(tr)))
    M.lanesMap(doc).observeDeep((_, tr) => this.publish([AXES], byOthers(tr)))
    M.emotionVotesMap(doc).observe((_, tr) => this.publish([CURVE], byOthers(tr)))
    M.emotionsMap(doc).observe((_, tr) => this.publish([CURVE], byOthers(tr)))
    M.meta(doc).observe((_, tr) => this.publish([META, ALL], byOthers(tr)))
    this.deletions = new Y.UndoManager([M.itemsMap(doc), M.votesMap(doc)], { trackedOrigins: new Set(), captureTimeout: 0 })
  }

  /** Where this person's new cards and notes go now: their drafts in a private step, else the board. */
  addTarget (): BoardStore { return this.writeDrafts && this.drafts ? this.drafts : this }

  /**
   * Call `fn` whenever one of the topics (or ALL) is published; returns the unsubscribe. `shown`
   * says whether what `fn` renders is on screen: others' changes to what is not need no frame.
   */
  subscribe (topics: Topic[], fn: () => void, shown?: () => boolean): () => void {
    const all = [...topics, ALL]
    for (const t of all) {
      let s = this.subscribers.get(t)
      if (!s) { s = new Set(); this.subscribers.set(t, s) }
      s.add(fn)
    }
    if (shown) this.shown.set(fn, shown)
    return () => { for (const t of all) this.subscribers.get(t)?.delete(fn); this.shown.delete(fn) }
  }

  /**
   * Tell the subscribers of these topics to render again: at once, or, for others' changes to
   * something on screen, together with what else arrives before the next frame.
   */
  publish (topics: Iterable<Topic>, byOthers = false): void {
    const due = new Set<() => void>()
    for (const t of topics) {
      if (t === ALL) { for (const s of this.subscribers.values()) for (const fn of s) due.add(fn) } else for (const fn of this.subscribers.get(t) ?? []) due.add(fn)
    }
    const when = !byOthers ? 'own' : [...due].some((fn) => this.shown.get(fn)?.() ?? true) ? 'frame' : 'soon'
    publishing(when, () => { for (const fn of due) fn() })
  }

  /** Select an item (or none): the two items concerned re-render. */
  select (id: string | undefined): void {
    if (this.selected === id) return
    const was = this.selected
    this.selected = id
    this.publish([was, id].filter((x): x is string => !!x).map(itemTopic))
  }

  /** Open an item's text editor (or close it: undefined). */
  setEditing (id: string | undefined): void {
    if (this.editing === id) return
    const was = this.editing
    this.editing = id
    this.env.setPresence('editing', id ?? null)
    this.publish([was, id].filter((x): x is string => !!x).map(itemTopic))
  }

  /** Move keyboard focus to an item (or its comment field) once it has rendered, wherever it went. */
  focusItem (id: string, part: 'card' | 'comment' = 'card'): void {
    this.wantFocus = { id, part }
    this.publish([itemTopic(id)])
    requestAnimationFrame(() => { if (this.wantFocus?.id === id) this.wantFocus = undefined })
  }

  /** The stage shown on a phone. */
  showStage (i: number): void {
    this.stageIndex = i
    this.publish([AXES])
  }

  /** The people (other than this one) on an item. */
  peersOnItem (id: string): PeerOnItem[] { return this.peersOn.get(id) ?? [] }

  /** Others' presence changed: only the items whose badges differ re-render. */
  setPeers (next: Map<string, PeerOnItem[]>): void {
    const key = (l: PeerOnItem[] | undefined): string => JSON.stringify(l ?? [])
    const changed: Topic[] = []
    for (const id of new Set([...this.peersOn.keys(), ...next.keys()])) if (key(this.peersOn.get(id)) !== key(next.get(id))) changed.push(presenceTopic(id))
    this.peersOn = next
    this.publish(changed, true)
  }

  /** The accessible grid (list for the canvas) is shown when chosen, and always on phones. */
  textView (): boolean { return this.view === 'text' || this.narrow }
}

export const StoreContext = createContext<BoardStore | undefined>(undefined)

/** The board's store, from the nearest provider (view.tsx mounts it). */
export function useStore (): BoardStore {
  const s = useContext(StoreContext)
  if (!s) throw new Error('board component outside its store')
  return s
}

/**
 * Re-render the calling component when any of these topics is published (and on ALL); `shown`
 * says whether it is on screen (see `BoardStore.subscribe`).
 */
export function useTopics (topics: Topic[], shown?: () => boolean): BoardStore {
  const store = useStore()
  useTopicsOf(store, topics, shown)
  return store
}

/** As `useTopics`, for the topics of a store other than the nearest one (the drafts' shown in a board's cell). */
export function useTopicsOf (store: BoardStore | undefined, topics: Topic[], shown?: () => boolean): void {
  const [, bump] = useReducer((n: number) => n + 1, 0)
  const key = topics.join('\n')
  useLayoutEffect(() => store?.subscribe(topics, () => bump(0), shown), [store, key])
}
