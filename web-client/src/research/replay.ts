//! The researcher's replay view (`#s=<id>&view=replay`): the board at any moment of the session,
//! a timeline (play/pause at 1×–64×, step by event, jump by time), contributions coloured by
//! participant with a legend, participation charts, memos beside the timeline (memos.tsx), the
//! downloads of the research dataset and of the REFI-QDA project, and, for a session of a
//! process, the process's figures across its sessions (process-view.ts).
//! The event list is fetched once (`/history`); boards come from `state?at=<seq>`, cached, with
//! at most one request in flight (the newest wanted position wins), which throttles playing.

import type * as Y from 'yjs'
import type { StoredSession } from '../session/api'
import { researchApi } from './api'
import { mountMemos } from './memos'
import { processSection } from './process-view'
import { h, clear, download } from '../ui/dom'
import { t, type Key } from '../i18n'
import { Announcer } from '../ui/announcer'
import { Timeline, participantKeys, formatElapsed, parseElapsed, docFromBoard, bucketSecondsFor, DECLINED, OTHER_COLOUR, type HistoryEvent, type Metrics, type ParticipantKey } from './history'
import { renderReplayBoard } from './replay-board'
import { activityChart, roleChart, swatchItem } from './charts'
import { recordedIndicator } from '../session/recording'
import { exportCsv, exportJson, exportPng } from './export'
import { errorText } from '../ui/error-text'
import { auditSentence } from '../session/audit-text'
import * as M from '../board/model'

/** Playback speeds offered (× real time). */
export const SPEEDS = [1, 2, 4, 8, 16, 32, 64]
/** How often playing advances; with reduced motion the board changes at most once a second. */
const TICK_MS = 100
const REDUCED_TICK_MS = 1000
/** Boards kept in memory: enough to scrub back and forth without refetching. */
const CACHE_BOARDS = 200
/** Recent events listed next to the board. */
const RECENT_EVENTS = 8

/** The session's downloads, side by side in the header: the dataset, and the REFI-QDA project. */
const DOWNLOADS = [
  { id: 'replay-export', ext: 'zip', get: researchApi.exportZip, label: 'replay.export', preparing: 'replay.exporting', done: 'replay.exported' },
  { id: 'replay-qdpx', ext: 'qdpx', get: researchApi.exportQdpx, label: 'replay.qdpx', preparing: 'replay.qdpxPreparing', done: 'replay.qdpxDone' }
] as const

export interface ReplayOptions {
  stored: StoredSession
  /** Back to the live board; absent for researchers, who follow a session through replay only. */
  onLive?: () => void
}

export class ReplayPage {
  readonly el = h('div', { class: 'replay-page' })
  private readonly token: string
  private readonly sid: string
  /** Who is replaying: which memos they may change depends on it. */
  private readonly reader: Pick<StoredSession, 'participant_id' | 'role'>
  private readonly announcer = new Announcer()
  private timeline = new Timeline([])
  private keys = new Map<string, ParticipantKey>()
  private time = 0
  private speed = 1
  private playing?: ReturnType<typeof setInterval>
  private readonly boards = new Map<number, Y.Doc>()
  private inFlight = false
  private shownSeq?: number
  private setCursor?: (ms: number) => void
  private destroyed = false
  /** Removes the memo list, mounted once the timeline is known. */
  private unmountMemos?: () => void

  private readonly status = h('p', { class: 'replay-status', role: 'status', id: 'replay-status', text: t('replay.loading') })
  private readonly playBtn = h('button', { type: 'button', class: 'btn primary', id: 'replay-play', 'aria-pressed': 'false', text: t('replay.play') })
  private readonly prevBtn = h('button', { type: 'button', class: 'btn', id: 'replay-prev', text: `‹ ${t('replay.prev')}` })
  private readonly nextBtn = h('button', { type: 'button', class: 'btn', id: 'replay-next', text: `${t('replay.next')} ›` })
  private readonly speedSel = h('select', { id: 'replay-speed' }, ...SPEEDS.map((s) => h('option', { value: s, text: `${s}×` })))
  private readonly scrubber = h('input', { type: 'range', id: 'replay-scrubber', min: 0, max: 0, step: 1000, value: 0 })
  private readonly position = h('output', { id: 'replay-position', for: 'replay-scrubber' })
  private readonly gotoInput = h('input', { type: 'text', id: 'replay-goto', inputmode: 'numeric', autocomplete: 'off', placeholder: '0:00', size: 8, 'aria-describedby': 'replay-goto-error' })
  private readonly gotoError = h('p', { class: 'error', id: 'replay-goto-error' })
  private readonly boardWrap = h('div', { class: 'board-wrap replay-board', id: 'replay-board', tabindex: '0', role: 'region', 'aria-labelledby': 'replay-board-title' })
  private readonly boardTitle = h('h2', { id: 'replay-board-title', class: 'visually-hidden' })
  private readonly nowList = h('ul', { class: 'replay-events', id: 'replay-now' })
  private readonly recentList = h('ol', { class: 'replay-events', id: 'replay-recent' })
  private readonly legend = h('ul', { class: 'chart-legend replay-legend', id: 'replay-legend' })
  private readonly charts = h('div', { class: 'replay-charts' })
  private readonly exportStatus = h('span', { class: 'replay-export-status', role: 'status' })
  private readonly memosHost = h('div', { class: 'replay-memos-host' })
  /** The process the session belongs to, whose figures follow the session's. */
  private readonly process?: string

  constructor (opts: ReplayOptions) {
    this.token = opts.stored.token
    this.sid = opts.stored.session.id
    this.reader = opts.stored
    const session = opts.stored.session
    this.process = session.process ?? undefined
    const downloads = DOWNLOADS.map((d) => {
      const btn: HTMLButtonElement = h('button', { type: 'button', class: 'btn', id: d.id, onclick: () => this.downloadFile(btn, d), text: t(d.label) })
      return btn
    })
    const name = (session.title || 'board').replace(/[^\w.-]+/g, '_')
    const gotoForm = h('form', { class: 'replay-goto' },
      h('label', { for: 'replay-goto', text: t('replay.goto') }), this.gotoInput,
      h('button', { type: 'submit', class: 'btn', text: t('replay.go') }), this.gotoError)
    gotoForm.addEventListener('submit', (e) => { e.preventDefault(); this.gotoTyped() })
    this.el.append(
      h('a', { class: 'skip-link', href: '#replay-board', text: t('skip') }),
      h('header', { class: 'topbar' },
        h('div', { class: 'titles' }, h('h1', { id: 'replay-title', tabindex: '-1', text: t('replay.title', { title: session.title }) })),
        h('div', { class: 'session-info' }, recordedIndicator(session)),
        h('div', { class: 'header-actions' },
          opts.onLive ? h('button', { type: 'button', class: 'btn', id: 'replay-live', onclick: opts.onLive, text: t('replay.live') }) : null,
          ...downloads, this.exportStatus)),
      h('main', { class: 'replay-main', id: 'main' },
        h('section', { class: 'replay-timeline', 'aria-labelledby': 'replay-timeline-title' },
          h('h2', { id: 'replay-timeline-title', class: 'visually-hidden', text: t('replay.timeline') }),
          h('div', { class: 'replay-controls', role: 'group', 'aria-label': t('replay.timeline') },
            this.prevBtn, this.playBtn, this.nextBtn,
            h('label', { for: 'replay-speed', text: t('replay.speed') }), this.speedSel),
          h('div', { class: 'replay-scrub' }, h('label', { for: 'replay-scrubber', text: t('replay.scrubber') }), this.scrubber, this.position),
          gotoForm, this.status),
        h('div', { class: 'replay-layout' },
          h('div', { class: 'replay-stage' }, this.boardTitle, this.boardWrap,
            h('p', { class: 'replay-board-export' }, `${t('replay.boardExport')}:`,
              ...([['csv', exportCsv], ['json', exportJson], ['png', exportPng]] as const).flatMap(([kind, save]) => [' ',
                h('button', { type: 'button', class: 'btn small', id: `replay-${kind}`, onclick: () => this.withShown((d) => save(d, `${name}-${this.shownSeq}`)), text: t(`export.${kind}`) })]))),
          h('aside', { class: 'replay-side' }, this.memosHost,
            h('section', { 'aria-labelledby': 'replay-now-title' }, h('h2', { id: 'replay-now-title', text: t('replay.now') }), this.nowList),
            h('section', { 'aria-labelledby': 'replay-legend-title' }, h('h2', { id: 'replay-legend-title', text: t('replay.legend') }), this.legend),
            h('section', { 'aria-labelledby': 'replay-recent-title' }, h('h2', { id: 'replay-recent-title', text: t('replay.recent') }), this.recentList))),
        this.charts),
      this.announcer.el)
    this.prevBtn.addEventListener('click', () => this.step(-1))
    this.nextBtn.addEventListener('click', () => this.step(1))
    this.playBtn.addEventListener('click', () => this.playing ? this.pause(true) : this.play())
    this.speedSel.addEventListener('change', () => { this.speed = Number(this.speedSel.value) || 1 })
    this.scrubber.addEventListener('input', () => this.seek(this.timeline.start + Number(this.scrubber.value), false))
    this.scrubber.addEventListener('change', () => this.announcePosition())
    this.load()
  }

  destroy (): void {
    this.destroyed = true
    this.pause(false)
    this.unmountMemos?.()
    this.announcer.destroy()
  }

  private async load (): Promise<void> {
    try {
      const events = await researchApi.history(this.token, this.sid)
      this.timeline = new Timeline(events)
      const metrics = await researchApi.metrics(this.token, this.sid, bucketSecondsFor(this.timeline.end - this.timeline.start))
      if (this.destroyed) return
      this.keys = participantKeys(events)
      this.scrubber.max = String(Math.ceil((this.timeline.end - this.timeline.start) / 1000) * 1000)
      this.renderLegend(metrics)
      this.renderCharts(metrics)
      this.status.textContent = ''
      this.seek(this.timeline.end, true)
      this.showMemos()
      if (this.process) this.charts.after(await processSection(this.token, this.process))
    } catch (e) {
      this.status.textContent = t('replay.error', { error: errorText(e) })
    }
  }

  /** The memos beside the timeline: their times count from its start, so they come after it. */
  private showMemos (): void {
    this.unmountMemos = mountMemos({
      token: this.token,
      session: this.sid,
      me: this.reader.participant_id,
      role: this.reader.role,
      start: this.timeline.start,
      now: () => this.time,
      jump: (at) => { this.pause(false); this.seek(at, true) },
      itemName: (id) => this.itemText(id),
      writer: (p) => this.keys.has(p) ? this.who(p).label : t('memo.colleague'),
      announcer: this.announcer
    }, this.memosHost)
  }

  // ---- the timeline ----

  private get index (): number { return this.timeline.indexAtTime(this.time) }

  /** Show the board at `ms` (a time in the session). */
  private seek (ms: number, announce: boolean): void {
    this.time = Math.min(Math.max(ms, this.timeline.start), this.timeline.end)
    this.renderPosition()
    this.wantBoard()
    if (announce) this.announcePosition()
  }

  private step (delta: number): void {
    this.pause(false)
    const i = this.timeline.step(this.index, delta)
    this.seek(this.timeline.positions[i]?.at ?? this.time, true)
  }

  private play (): void {
    if (this.time >= this.timeline.end) this.seek(this.timeline.start, false)
    const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches
    const tick = reduced ? REDUCED_TICK_MS : TICK_MS
    let last = performance.now()
    this.playing = setInterval(() => {
      const now = performance.now()
      const next = this.time + (now - last) * this.speed
      last = now
      this.seek(next, false)
      if (next >= this.timeline.end) this.pause(true)
    }, tick)
    this.playBtn.textContent = t('replay.pause')
    this.playBtn.setAttribute('aria-pressed', 'true')
    this.el.dataset.playing = 'true'
  }

  private pause (announce: boolean): void {
    if (!this.playing) return
    clearInterval(this.playing)
    this.playing = undefined
    this.playBtn.textContent = t('replay.play')
    this.playBtn.setAttribute('aria-pressed', 'false')
    delete this.el.dataset.playing
    if (announce) this.announcer.say(t('replay.paused', { position: this.positionText() }))
  }

  private gotoTyped (): void {
    const ms = parseElapsed(this.gotoInput.value)
    if (ms === undefined) {
      this.gotoError.textContent = t('replay.badTime')
      this.gotoInput.setAttribute('aria-invalid', 'true')
      return
    }
    this.gotoError.textContent = ''
    this.gotoInput.removeAttribute('aria-invalid')
    this.pause(false)
    this.seek(this.timeline.start + ms, true)
  }

  private clock (ms: number): string { return new Date(ms).toLocaleTimeString() }

  private positionText (): string {
    return t('replay.position', { elapsed: formatElapsed(this.time - this.timeline.start), clock: this.clock(this.time), i: this.index + 1, n: this.timeline.length })
  }

  private announcePosition (): void {
    const what = this.timeline.eventsAt(this.index).slice(0, 3).map((e) => this.describe(e)).join('; ')
    this.announcer.say(what ? `${this.positionText()}: ${what}` : this.positionText())
  }

  private renderPosition (): void {
    const text = this.positionText()
    this.scrubber.value = String(Math.floor((this.time - this.timeline.start) / 1000) * 1000)
    this.scrubber.setAttribute('aria-valuetext', text)
    this.position.textContent = text
    this.prevBtn.disabled = this.index === 0
    this.nextBtn.disabled = this.index >= this.timeline.length - 1
    this.setCursor?.(this.time)
    clear(this.nowList)
    this.nowList.append(...this.timeline.eventsAt(this.index).map((e) => this.eventItem(e)))
    clear(this.recentList)
    this.recentList.append(...this.timeline.recent(this.time, RECENT_EVENTS).map((e) => this.eventItem(e)))
  }

  // ---- boards: cached, one request at a time, the newest wanted wins ----

  private wantBoard (): void {
    const seq = this.timeline.positions[this.index]?.seq
    if (seq === undefined) return
    const doc = this.boards.get(seq)
    if (doc) { this.renderBoard(seq, doc); return }
    this.boardWrap.setAttribute('aria-busy', 'true')
    if (this.inFlight) return
    this.inFlight = true
    researchApi.state(this.token, this.sid, seq).then((r) => {
      this.boards.set(seq, docFromBoard(r.board))
      if (this.boards.size > CACHE_BOARDS) this.boards.delete(this.boards.keys().next().value as number)
    }, (e) => {
      this.status.textContent = t('replay.error', { error: errorText(e) })
      this.pause(false)
    }).finally(() => {
      this.inFlight = false
      if (!this.destroyed && this.boards.has(seq)) this.wantBoard()
    })
  }

  private withShown (fn: (doc: Y.Doc) => void): void {
    const doc = this.shownSeq === undefined ? undefined : this.boards.get(this.shownSeq)
    if (doc) fn(doc)
  }

  private renderBoard (seq: number, doc: Y.Doc): void {
    this.boardWrap.removeAttribute('aria-busy')
    if (this.shownSeq === seq) return
    this.shownSeq = seq
    this.boardWrap.dataset.seq = String(seq)
    const at = this.timeline.positions.find((p) => p.seq === seq)?.at ?? this.time
    this.boardTitle.textContent = t('replay.boardAt', { clock: this.clock(at) })
    const scroll = { x: this.boardWrap.scrollLeft, y: this.boardWrap.scrollTop }
    this.boardWrap.replaceChildren(renderReplayBoard(doc, (p) => this.who(p)))
    this.boardWrap.scrollLeft = scroll.x; this.boardWrap.scrollTop = scroll.y
  }

  // ---- participants and events in words ----

  private who (participant: string | null): { label: string, colour: string } {
    if (!participant) return { label: t('replay.server'), colour: OTHER_COLOUR }
    if (participant === DECLINED) return { label: t('replay.declined'), colour: OTHER_COLOUR }
    const k = this.keys.get(participant)
    return k ? { label: t('replay.who', { role: t(`role.${k.role}` as Key), n: k.n }), colour: k.colour } : { label: participant, colour: OTHER_COLOUR }
  }

  private describe (e: HistoryEvent): string {
    const word = (prefix: 'entity' | 'action', v: string): string => { const k = `${prefix}.${v}` as Key; const s = t(k); return s === k ? v : s }
    const who = e.by_server ? t('replay.server') : this.who(e.participant).label
    // moderation reads as the console's audit log does: "Moderator 1: closed the session"
    if (e.entity === 'moderation') return t('replay.moderation', { who, what: auditSentence(e.action, e.target, e.detail, (id) => this.nameOf(id)) })
    return t('replay.event', { who, entity: word('entity', e.entity), action: word('action', e.action) })
  }

  /** A moderation target by name: a participant's label, or an item's text. */
  private nameOf (id: string): string {
    return this.keys.has(id) ? this.who(id).label : this.itemText(id) ?? ''
  }

  /** An item's text (its start) on the board shown, else on another board held (one before it was deleted). */
  private itemText (id: string): string | undefined {
    const shown = this.shownSeq === undefined ? undefined : this.boards.get(this.shownSeq)
    for (const doc of shown ? [shown, ...this.boards.values()] : this.boards.values()) {
      const it = M.item(doc, id)
      if (it) return (it.text || t('board.cardEmpty')).slice(0, 60)
    }
    return undefined
  }

  private eventItem (e: HistoryEvent): HTMLLIElement {
    return swatchItem(e.by_server ? OTHER_COLOUR : this.who(e.participant).colour, h('span', { class: 'event-time', text: `${formatElapsed(e.at - this.timeline.start)} ` }), this.describe(e))
  }

  private renderLegend (m: Metrics): void {
    const counts = new Map(m.by_participant.map((p) => [p.participant, p.contributions]))
    clear(this.legend)
    for (const k of [...this.keys.values()].filter((x) => x.contributor)) {
      const w = this.who(k.participant)
      this.legend.append(swatchItem(w.colour, h('strong', { text: w.label }), ' ',
        h('span', { class: 'pseudonym', text: k.participant === DECLINED ? '' : k.participant }), ' · ',
        t('replay.contributions', { n: counts.get(k.participant) ?? 0 })))
    }
  }

  private renderCharts (m: Metrics): void {
    clear(this.charts)
    const pct = (v: number | null): string => v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`
    const activity = activityChart(m.over_time, m.bucket_seconds, (ms) => this.clock(ms))
    this.setCursor = activity.setCursor
    this.charts.append(
      h('p', { class: 'replay-summary', id: 'replay-summary', text: t('replay.summary', { contributions: t('replay.contributions', { n: m.contributions }), people: t('replay.contributors', { n: m.distinct_contributors }), share: pct(m.citizen_share), gini: m.gini === null || m.gini === undefined ? '–' : m.gini.toFixed(2) }) }),
      activity.el, roleChart(m.by_role))
  }

  // ---- the downloads ----

  private async downloadFile (btn: HTMLButtonElement, d: typeof DOWNLOADS[number]): Promise<void> {
    btn.disabled = true
    this.exportStatus.textContent = t(d.preparing)
    try {
      download(`cocreate-${this.sid}.${d.ext}`, await d.get(this.token, this.sid))
      this.exportStatus.textContent = t(d.done)
    } catch (e) {
      this.exportStatus.textContent = t('replay.error', { error: errorText(e) })
    } finally {
      btn.disabled = false
    }
  }
}
