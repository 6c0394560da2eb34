//! A session's history as the server gives it to researchers (server/README.md, "History, replay
//! and research exports"): the NDJSON event list, the timeline of board positions it drives, the
//! colour and label of each participant, and a read-only Y.Doc rebuilt from a `state` board so
//! that the board's model functions (ordering, hidden items, votes) work on it. No DOM: unit-tested.

import * as Y from 'yjs'
import * as M from '../board/model'
import type { Schema } from '../api/client'

/**
 * One line of `GET /api/sessions/{id}/history`; `seq` is null for attendance and moderation. A
 * role is kept as written, also one this browser does not know yet (it is shown, not acted on).
 */
export type HistoryEvent = Omit<Schema<'HistoryEvent'>, 'role'> & { role: string | null }

/**
 * The board of a `state` answer: the document's shape, with votes as counts per item and the
 * emotion curve (schema 2) as the average and number of people's values per stage.
 */
export interface BoardJson {
  meta?: Record<string, unknown>
  stages?: Record<string, Record<string, unknown>>
  lanes?: Record<string, Record<string, unknown>>
  items?: Record<string, Record<string, unknown>>
  votes?: Record<string, number>
  emotions?: Record<string, number>
  emotion_votes?: Record<string, { average: number, count: number }>
}

/** `GET /api/sessions/{id}/metrics`: participation figures. */
export type Metrics = Schema<'Participation'>

/** One bucket of `metrics.over_time`. */
export type MetricsBucket = Metrics['over_time'][number]

/** The pseudonym under which the server aggregates everyone who declined research consent. */
export const DECLINED = 'declined'

/** Parses an NDJSON body; a malformed line is an error naming its line (a truncated download). */
export function parseNdjson (text: string): HistoryEvent[] {
  const out: HistoryEvent[] = []
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return
    let v: unknown
    try { v = JSON.parse(line) } catch { throw new Error(`history line ${i + 1} is not JSON`) }
    const e = v as Partial<HistoryEvent>
    if (typeof e !== 'object' || e === null || typeof e.at !== 'number' || typeof e.entity !== 'string') throw new Error(`history line ${i + 1} is not an event`)
    out.push({
      seq: typeof e.seq === 'number' ? e.seq : null,
      at: e.at,
      participant: typeof e.participant === 'string' ? e.participant : null,
      role: typeof e.role === 'string' ? e.role : null,
      entity: e.entity,
      action: String(e.action ?? ''),
      target: String(e.target ?? ''),
      detail: String(e.detail ?? ''),
      by_server: e.by_server === true
    })
  })
  return out
}

/** A point the board can be shown at: just after the log record `seq`, accepted at `at`. */
export interface Position { seq: number, at: number }

/**
 * The replay's timeline: one position per log record that changed the board (events with the same
 * `seq` are one step), so that stepping moves from one board to the next and a time maps to the
 * last record accepted at or before it, as the server's `state?at=` does.
 */
export class Timeline {
  readonly positions: Position[]
  private readonly events: HistoryEvent[]

  constructor (events: HistoryEvent[]) {
    this.events = [...events].sort((a, b) => a.at - b.at || (a.seq ?? Infinity) - (b.seq ?? Infinity))
    const bySeq = new Map<number, number>()
    for (const e of events) if (e.seq !== null) bySeq.set(e.seq, Math.min(bySeq.get(e.seq) ?? Infinity, e.at))
    this.positions = [...bySeq].map(([seq, at]) => ({ seq, at })).sort((a, b) => a.seq - b.seq)
  }

  get length (): number { return this.positions.length }
  get start (): number { return this.positions[0]?.at ?? this.events[0]?.at ?? 0 }
  get end (): number { return Math.max(this.positions[this.positions.length - 1]?.at ?? 0, this.events[this.events.length - 1]?.at ?? 0, this.start) }

  /** The index of the last position accepted at or before `ms` (the first one if none). */
  indexAtTime (ms: number): number {
    let lo = 0; let hi = this.positions.length - 1; let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.positions[mid].at <= ms) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  /** `index` moved by `delta` positions, kept inside the timeline. */
  step (index: number, delta: number): number {
    return Math.min(Math.max(0, index + delta), Math.max(0, this.positions.length - 1))
  }

  /** The events of the record at `index` (what that step changed). */
  eventsAt (index: number): HistoryEvent[] {
    const seq = this.positions[index]?.seq
    return seq === undefined ? [] : this.events.filter((e) => e.seq === seq)
  }

  /** The last `n` events (board changes, attendance, moderation) at or before `ms`, newest first. */
  recent (ms: number, n: number): HistoryEvent[] {
    const out: HistoryEvent[] = []
    for (let i = this.events.length - 1; i >= 0 && out.length < n; i--) if (this.events[i].at <= ms) out.push(this.events[i])
    return out
  }
}

/** Colours for participants: each at least 3:1 against white and the cards' yellow (WCAG 1.4.11). */
export const PARTICIPANT_COLOURS = ['#0b57d0', '#b3261e', '#146c2e', '#8e24aa', '#a15c00', '#00696f', '#c2185b', '#5d4037', '#37474f', '#6750a4']
/** Everyone beyond the palette, the server itself, and the declined aggregate. */
export const OTHER_COLOUR = '#5f6368'

/** How a participant is shown: a colour, and "role number" (e.g. citizen 2) for the label. */
export interface ParticipantKey { participant: string, role: string, n: number, colour: string, contributor: boolean }

/** A change to the board made by a participant (not the server on someone's behalf). */
export const isContribution = (e: HistoryEvent): boolean => e.seq !== null && !e.by_server && e.participant !== null

/**
 * Colour and number participants so that each keeps one colour and label at every point of the
 * replay: contributors first, in order of their first contribution, each with a palette colour;
 * then everyone else who appears (joins, connections, moderation), in grey. Numbers count per
 * role; the declined aggregate gets neither a number nor a palette colour.
 */
export function participantKeys (events: HistoryEvent[]): Map<string, ParticipantKey> {
  const out = new Map<string, ParticipantKey>()
  const perRole = new Map<string, number>()
  let coloured = 0
  const ordered = [...events.filter(isContribution), ...events.filter((e) => !isContribution(e))]
  for (const e of ordered) {
    const p = e.participant
    if (!p || out.has(p)) continue
    const role = e.role ?? ''
    const contributor = isContribution(e)
    if (p === DECLINED) { out.set(p, { participant: p, role, n: 0, colour: OTHER_COLOUR, contributor }); continue }
    const n = (perRole.get(role) ?? 0) + 1
    perRole.set(role, n)
    out.set(p, { participant: p, role, n, colour: (contributor && PARTICIPANT_COLOURS[coloured++]) || OTHER_COLOUR, contributor })
  }
  return out
}

/** Nice metric bucket sizes (s): the replay asks for the one that gives about CHART_BUCKETS bars. */
export const BUCKET_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
const CHART_BUCKETS = 40

/** The bucket size for an activity chart of a session lasting `ms`. */
export const bucketSecondsFor = (ms: number): number =>
  BUCKET_SECONDS.find((s) => s * CHART_BUCKETS >= ms / 1000) ?? BUCKET_SECONDS[BUCKET_SECONDS.length - 1]

/** `ms` as h:mm:ss (or m:ss under an hour): elapsed time into the session. */
export function formatElapsed (ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const hh = Math.floor(s / 3600); const mm = Math.floor((s % 3600) / 60); const ss = String(s % 60).padStart(2, '0')
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`
}

/** Reads "ss", "m:ss" or "h:mm:ss" (what `formatElapsed` writes) as ms; undefined if it is not one. */
export function parseElapsed (text: string): number | undefined {
  const m = /^\s*(?:(?:(\d+):)?(\d+):)?(\d+)\s*$/.exec(text)
  if (!m) return undefined
  const [h, mi, s] = [m[1], m[2], m[3]].map((x) => Number(x ?? 0))
  if ((m[2] !== undefined && s >= 60) || (m[1] !== undefined && mi >= 60)) return undefined
  return ((h * 60 + mi) * 60 + s) * 1000
}

/**
 * The board of a `state` answer as a Y.Doc, so that the model's read functions (ordering by
 * fractional keys, hidden items, comments) serve the replay exactly as the live board. Votes
 * arrive as counts per item and the emotion curve as an average per stage (who gave what is in the
 * events): they become anonymous keys, `count` of them each holding the average.
 */
export function docFromBoard (board: BoardJson): Y.Doc {
  const doc = new Y.Doc()
  const fill = (target: Y.Map<unknown>, fields: Record<string, unknown>): Y.Map<unknown> => {
    for (const [k, v] of Object.entries(fields)) target.set(k, k === 'text' && typeof v === 'string' ? new Y.Text(v) : v)
    return target
  }
  doc.transact(() => {
    fill(M.meta(doc), board.meta ?? {})
    for (const [root, entries] of [[M.stagesMap(doc), board.stages], [M.lanesMap(doc), board.lanes], [M.itemsMap(doc), board.items]] as const) {
      for (const [id, fields] of Object.entries(entries ?? {})) root.set(id, fill(new Y.Map(), fields))
    }
    for (const [item, n] of Object.entries(board.votes ?? {})) for (let i = 0; i < n; i++) M.votesMap(doc).set(`${item}|replay|${i}`, 0)
    for (const [stage, v] of Object.entries(board.emotions ?? {})) M.emotionsMap(doc).set(stage, v)
    for (const [stage, { average, count }] of Object.entries(board.emotion_votes ?? {})) for (let i = 0; i < count; i++) M.emotionVotesMap(doc).set(`${stage}|replay-${i}`, average)
  })
  return doc
}
