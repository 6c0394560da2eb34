//! The board page, the app's shell around a live board: header (session, status, phase and
//! timer), toolbar, presence, the moderator console, the receipt and the questionnaire around the
//! board itself, which its components render from the store (board/view.tsx). The page owns the
//! connection, tells the store what changes outside the document (permissions, the language, the
//! view, others' presence) and lends the board what other folders do: the server's calls on
//! items (session/), the exports (research/).

import * as Y from 'yjs'
import * as M from '../board/model'
import { Connection, type ConnectionState, type Session, type SessionMessage, type You } from '../sync/connection'
import { api, storeSession, forgetSession, type StoredSession } from '../session/api'
import { forgetDrafts } from '../session/device'
import { receiptPanel } from '../outcome/receipt'
import { evaluationForm } from '../outcome/evaluation'
import { DecisionPanel } from '../outcome/decision-panel'
import type { DecidableCard } from '../outcome/decision-order'
import { CarryPanel } from '../outcome/carry'
import { h, clear } from '../ui/dom'
import { t, lang, chooseLang, axisName, LANGUAGES, LANGUAGE_NAMES, isLang, type Key } from '../i18n'
import { Announcer } from '../ui/announcer'
import { ModeratorConsole } from '../session/moderator'
import { drawBoard, exportCsv, exportJson, exportPng } from '../research/export'
import { announceRemoteChanges } from '../board/remote-changes'
import { Presence } from '../board/presence'
import { recordedIndicator } from '../session/recording'
import { BoardStore, ALL, type BoardEnv, type ItemRequests } from '../board/store'
import { AXES, CANVAS, CELLS, META, VOTES, ZOOM } from '../board/routing'
import { FEATURE_ZONES, Rules, zoneName, type Zones } from '../board/rules'
import { UndoBar } from '../board/undo'
import * as A from '../board/actions'
import { mountBoard, mountZoomControls, unmount } from '../board/view'
import { bindZoomInput } from '../board/zoom'
import { toolbarContent } from '../board/toolbar'
import { refusalText } from '../ui/error-text'
import { Facilitation } from '../facilitation/state'
import { mountStepBanner, endedText, methodText } from '../facilitation/step-banner'
import { mountFacilitatorConsole } from '../facilitation/console'
import { agendaApi, focusOf } from '../facilitation/api'
import { ZoneFocus } from '../facilitation/focus'
import type { BoardZone } from '../facilitation/methods'
import { Drafts, keepsDrafts, secretBallots, writesDrafts } from '../facilitation/drafts'
import type { SenseContext } from '../sensemaking/context'

export interface BoardOptions {
  /** A session joined with a token (from localStorage). */
  stored?: StoredSession
  /** A development room on a server started with --open-rooms: no token, the client seeds it. */
  devRoom?: { room: string, template: M.Template }
  onLeave: () => void
  /**
   * This device's copy of the board held edits the server dropped (made while read-only, or that
   * a rule forbids) and was thrown away: the app opens the board again, fresh from the server,
   * showing `notice` (issue 27, part 4).
   */
  onReset?: (notice?: string) => void
  /** Shown and said once the board opens: why it was opened again. */
  notice?: string
}

/** How long the notice of a reset board stays in the banner (it is also said aloud). */
const NOTICE_MS = 15_000

const PEER_COLORS = ['#b3261e', '#0b57d0', '#146c2e', '#8e24aa', '#a15c00', '#00696f', '#6750a4', '#7d5260']

/**
 * Whether a phase's name says people vote now ("Stemmen", "Dot voting", "Abstimmen", "Vote"):
 * the phase is free text, so its words are all there is to go by.
 */
const isVotePhase = (phase: string | undefined): boolean => !!phase && /vot|stem|stimm|dot|punkt/i.test(phase)

/** A person's colour for others: from their participant id, so that it stays the same over reloads and devices. */
function peerColor (participant: string): string {
  let hash = 0
  for (let i = 0; i < participant.length; i++) hash = (hash * 31 + participant.charCodeAt(i)) | 0
  return PEER_COLORS[Math.abs(hash) % PEER_COLORS.length]
}
const NARROW = '(max-width: 700px)'

function devIdentity (): { participant: string, name: string } {
  let p = localStorage.getItem('cocreate.dev.participant')
  if (!p) { p = M.newId('p_dev'); localStorage.setItem('cocreate.dev.participant', p) }
  return { participant: p, name: localStorage.getItem('cocreate.dev.name') || 'Guest' }
}

/** The page of one board: built once, kept live until `destroy`. */
export class BoardPage {
  readonly el = h('div', { class: 'board-page' })
  readonly conn: Connection
  readonly doc: Y.Doc
  /** What the board's components render from and subscribe to. */
  readonly store: BoardStore
  private session?: Session
  private you?: You
  private connState: ConnectionState
  private readonly announcer = new Announcer()
  private readonly header = h('header', { class: 'topbar' })
  private readonly banner = h('div', { class: 'banner', role: 'status' })
  private readonly toolbar = h('div', { class: 'toolbar', role: 'toolbar' })
  private readonly zoomEl = h('div', { class: 'zoom-host' })
  private readonly boardWrap = h('div', { class: 'board-wrap', id: 'board', tabindex: '-1' })
  /** Where Preact renders the board (the cursors are a sibling it does not own). */
  private readonly boardRoot = h('div', { class: 'board-root' })
  private readonly side = h('aside', { class: 'side' })
  /** Who is here: the list in the side bar, their pointers, their badges on items. */
  private readonly presence: Presence
  private readonly statusEl = h('span', { class: 'conn-status', id: 'conn-status' })
  private readonly timerEl = h('span', { class: 'timer', id: 'timer' })
  private moderator?: ModeratorConsole
  /** The moderator's decisions, in the console: its cards' votes and stages follow the board. */
  private decisions?: DecisionPanel
  /** The agenda's current step as last heard, for the step banner and the facilitator's controls. */
  private readonly facilitation = new Facilitation()
  /** The step banner: sticky at the top, for everyone. */
  private readonly stepBanner = h('div')
  /** Where a moderator brought everyone, under the step banner. */
  private readonly zoneFocus: ZoneFocus
  private readonly stepHost: HTMLElement
  /** The facilitator's controls (moderators): first in the side bar, above the board on a phone. */
  private readonly facilHost = h('div', { class: 'facil-host' })
  private facilMounted = false
  /** The moderator's sensemaking panel (themes, coverage), loaded on demand, below the facilitator's controls. */
  private readonly senseHost = h('div', { class: 'sense-host' })
  /** Cards similar to the one being typed, in a tray at the bottom of the screen. */
  private readonly similarHost = h('div', { class: 'similar-host' })
  /** What ends the Preact parts outside the board (the step banner, the facilitator's controls). */
  private readonly unmount: (() => void)[] = []
  private dirtyWhileReadOnly = false
  private readonly narrow = window.matchMedia(NARROW)
  private readonly color: string
  private timerInterval: ReturnType<typeof setInterval>
  private lastStatus?: string
  private destroyed = false
  private readonly opts: BoardOptions
  /** The server's session message arrived: `you.can_edit` is the server's word, not a stored copy. */
  private sessionHeard = false
  /** "Leave" was clicked with changes not saved yet: the next click leaves (and loses them). */
  private confirmLeave = false
  /** The questionnaire shown once the session closed, kept over redraws (half-answered), per language. */
  private evaluation?: { lang: string, el: HTMLElement }
  /** The zones of the current step, from the agenda (session messages do not carry them). */
  private zones?: { step: string, zones: Zones }
  /** What this person may do where (board/rules.ts), worked out again when the session or agenda changes. */
  private rules = new Rules({ me: '', role: 'free' })
  /** The rules of this person's own drafts: theirs to change. */
  private draftRules = new Rules({ me: '', role: 'free', drafts: true })
  /** This person's draft room while the current step keeps drafts or secret ballots. */
  private drafts?: Drafts
  /** What the drafts' store needs from the page: the board's, with the drafts' own rules and no presence. */
  private readonly draftEnv: BoardEnv
  /** "Undo" after a deletion. */
  private readonly undoBar = new UndoBar()
  /** Says why a citizen cannot add cards somewhere (the step's zones), and that new cards are drafts. */
  private readonly rulesNote = h('p', { class: 'rules-note', id: 'rules-note', hidden: true })
  /** Why the board was opened again (an edit refused), shown for a while. */
  private notice?: string

  constructor (opts: BoardOptions) {
    this.opts = opts
    const stored = opts.stored
    this.session = stored?.session
    if (stored) this.you = { participant_id: stored.participant_id, display_name: stored.display_name, role: stored.role, can_edit: stored.can_edit ?? (stored.role === 'moderator' || stored.role === 'citizen') }
    const room = stored ? stored.session.id : opts.devRoom!.room
    this.conn = new Connection({ origin: location.origin, room, token: stored?.token, storeName: stored ? `s:${room}` : `dev:${room}` })
    this.doc = this.conn.doc
    this.connState = this.conn.state
    this.color = peerColor(stored?.participant_id ?? devIdentity().participant)
    const awareness = this.conn.provider.awareness
    const env: BoardEnv = {
      announcer: this.announcer,
      author: () => this.author(),
      canEdit: () => this.canEdit(),
      isModerator: () => this.isModerator(),
      voteLimit: () => this.session?.votes_per_participant ?? 5,
      // an agenda's vote step says so; without an agenda, the phase's name is all there is
      votingNow: () => {
        const step = this.session?.step
        return step ? step.method === 'vote' && step.ended_at === null : isVotePhase(this.session?.phase)
      },
      session: () => this.itemRequests(),
      moderated: () => this.moderator?.refresh(),
      setPresence: (field, id) => awareness.setLocalStateField(field, id),
      rules: () => this.rules,
      ballotBox: () => this.ballotBox(),
      talliesShown: () => !secretBallots(this.facilitation.step()),
      offerUndo: (what, undo) => this.undoBar.offer(what, undo)
    }
    this.store = new BoardStore(this.doc, env)
    this.zoneFocus = new ZoneFocus({
      elements: (zone) => this.zoneElements(zone),
      name: (zone) => zoneName(this.doc, zone),
      reveal: (zone) => {
        const si = M.stages(this.doc).findIndex((s) => `stage:${s.id}` === zone)
        if (si >= 0 && this.store.narrow && this.store.stageIndex !== si) this.store.showStage(si)
      }
    })
    this.stepHost = h('div', { class: 'step-host' }, this.stepBanner, this.zoneFocus.el)
    // the board drew its stages, lanes or canvas again: the zone everyone was brought to stays
    // marked, and the facilitator's list of places follows
    this.store.subscribe([ALL, AXES, META], () => requestAnimationFrame(() => { this.zoneFocus.mark(); this.facilitation.refresh() }))
    // drafts reach nobody: not even what is selected or edited in them goes into presence
    this.draftEnv = { ...env, rules: () => this.draftRules, session: () => undefined, votingNow: () => false, setPresence: () => {} }
    this.store.narrow = this.narrow.matches
    this.store.root = this.boardRoot
    this.conn.onDiscardLocal = () => this.reopenFromServer()
    this.conn.on('state', (s) => { this.connState = s; this.renderStatus() })
    this.conn.on('session', (m) => this.onSession(m))
    // an edit a rule forbids (issue 27, part 4): the server dropped it; so does this device
    this.conn.on('refused', (m) => this.reopenFromServer(t('refused.edit', { zone: zoneName(this.doc, m.zone) })))
    this.conn.provider.on('sync', (synced: boolean) => { if (synced) this.upgradeDocument() })
    awareness.setLocalStateField('user', { color: this.color, name: this.you?.display_name ?? devIdentity().name })
    this.presence = new Presence(awareness, this.doc.clientID, {
      me: () => ({ name: this.you?.display_name, role: this.role(), session: !!this.you }),
      zoom: () => this.store.zoom,
      onItems: (on) => this.store.setPeers(on),
      // someone joined or left: the moderator's participant list (from the API) is out of date
      onWhoChanged: () => this.moderator?.refresh()
    })
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.local && tr.origin !== this.conn.persistence && !this.canEdit() && tr.changed.size > 0) {
        // an edit while read-only (e.g. forced from the devtools): the server drops it; forget it
        // before editing is allowed again, so it cannot sneak in after an unlock
        this.dirtyWhileReadOnly = true
        this.conn.discardOnResync = true
      }
    })
    // the template arrived or a newer schema showed up: the toolbar and banner follow
    this.store.subscribe([META], () => { this.renderBanner(); this.renderToolbar(); this.renderHeader() })
    this.store.subscribe([VOTES], () => { const vl = this.toolbar.querySelector('#votes-left'); if (vl) vl.textContent = this.votesLeft() })
    announceRemoteChanges({
      doc: this.doc,
      announcer: this.announcer,
      isOwn: (tr) => tr.local || tr.origin === this.conn.persistence,
      nameOfClient: (client) => this.presence.peers().find((p) => p.clientId === client)?.name,
      namesOn: (id) => this.presence.othersOn(id).map((p) => p.name)
    })
    this.narrow.addEventListener('change', () => { this.store.narrow = this.narrow.matches; this.followDrafts(); this.publishAll(); this.renderToolbar() })
    this.store.subscribe([ZOOM], () => { if (this.drafts) this.drafts.store.zoom = this.store.zoom })
    this.timerInterval = setInterval(() => this.renderTimer(), 1000)
    this.boardWrap.append(this.boardRoot, this.presence.cursors.el)
    this.el.append(
      h('a', { class: 'skip-link', href: '#board', text: t('skip') }),
      this.header, this.banner, this.stepHost,
      h('div', { class: 'layout' },
        h('main', { class: 'main', id: 'main' }, this.toolbar, this.rulesNote, this.undoBar.el, this.boardWrap),
        this.side),
      this.announcer.el, this.announcer.toast, this.similarHost
    )
    this.boardWrap.addEventListener('pointermove', (e) => this.onPointerMove(e))
    this.boardWrap.addEventListener('pointerleave', () => awareness.setLocalStateField('cursor', null))
    bindZoomInput(this.store, this.boardWrap)
    this.store.subscribe([ZOOM], () => this.presence.renderCursors())
    this.conn.localLoaded.then(() => {
      if (opts.devRoom && !M.templateOf(this.doc)) {
        // a development room: seed once the server's state is in (or right away when offline)
        const seedIt = (): void => { if (!M.templateOf(this.doc)) M.seed(this.doc, opts.devRoom!.template) }
        if (this.conn.provider.synced) seedIt(); else this.conn.provider.once('sync', seedIt)
        if (!navigator.onLine) seedIt()
      }
      if (this.canEdit()) M.migrate(this.doc)
    })
    ;(window as unknown as { __cocreate: unknown }).__cocreate = { doc: this.doc, conn: this.conn, model: M, Y, page: this, drawBoard }
    mountBoard(this.store, this.boardRoot)
    if (this.session) this.facilitation.update(this.session)
    this.unmount.push(mountStepBanner(this.facilitation, this.stepBanner, this.stepHost, (text) => this.announcer.say(text)))
    // the agenda changed (a step started, its rules changed): its zones are read again
    this.unmount.push(this.facilitation.subscribe(() => String(this.facilitation.agendaVersion), () => this.loadZones()))
    this.loadZones()
    mountZoomControls(this.store, this.zoomEl)
    if (opts.notice) this.showNotice(opts.notice)
    if (stored) void import('../sensemaking/similar').then((m) => { if (!this.destroyed) this.unmount.push(m.watchTyping(this.senseContext(stored.token), this.boardWrap, this.similarHost)) })
    this.renderAll()
  }

  destroy (): void {
    this.destroyed = true
    clearInterval(this.timerInterval)
    unmount(this.boardRoot)
    unmount(this.zoomEl)
    for (const end of this.unmount) end()
    this.announcer.destroy()
    this.presence.destroy()
    this.undoBar.close()
    this.drafts?.destroy()
    this.conn.destroy()
  }

  // ---- identity and permissions ----

  private author (): M.Author {
    if (this.you) return { participant: this.you.participant_id, name: this.you.display_name, language: lang() }
    const d = devIdentity()
    return { participant: d.participant, name: d.name, language: lang() }
  }

  /** The server's calls on this session's items, with this person's token; none in a development room. */
  private itemRequests (): ItemRequests | undefined {
    const token = this.opts.stored?.token
    const id = this.session?.id
    if (!token || !id) return undefined
    return {
      hide: (item, reason) => api.hide(token, id, item, reason),
      unhide: (item) => api.unhide(token, id, item),
      report: (item, reason) => api.report(token, id, item, reason)
    }
  }

  private closed (): boolean { return this.session?.state === 'closed' }
  private role (): string { return this.you?.role ?? 'citizen' }
  private isModerator (): boolean { return this.role() === 'moderator' }

  canEdit (): boolean {
    if (M.isNewerSchema(this.doc)) return false
    if (this.connState.refused) return false
    if (!this.you) return true // development room
    if (this.closed()) return false
    return this.you.can_edit
  }

  private onSession (m: SessionMessage): void {
    const before = this.session
    const wasEditable = this.canEdit()
    this.session = m.session
    this.you = m.you
    this.sessionHeard = true
    if (this.opts.stored) {
      this.opts.stored.session = { ...m.session }
      this.opts.stored.role = m.you.role
      this.opts.stored.can_edit = m.you.can_edit
      storeSession(this.opts.stored)
    }
    if (m.event === 'locked') this.announcer.say(t('readonly.locked'))
    else if (m.event === 'unlocked') this.announcer.say(t('announce.session', { what: t('mod.state', { state: t('state.open') }) }))
    else if (m.event === 'closed') this.announcer.say(t('readonly.closed'))
    else if (m.event === 'vote-refused') this.announcer.say(t('vote.none')) // the server removed votes beyond the limit (another tab voted too)
    else if (m.event === 'updated' && before && before.phase !== m.session.phase) this.announcer.say(t('phase.label', { phase: m.session.phase }))
    else if (m.event === 'reported' && this.isModerator()) { this.announcer.say(t('mod.reportArrived')); void this.moderator?.refresh() }
    else if (m.event === 'step-started' && m.session.step) this.announcer.say(t('step.startedSay', { title: m.session.step.title, method: methodText(m.session.step) }))
    else if (m.event === 'step-ended' && m.session.step && m.session.state !== 'closed') this.announcer.say(`${m.session.step.title}: ${endedText(m.session.step)}`)
    else if (m.event === 'step-revealed' && m.session.step) this.announcer.say(t('step.revealedSay', { title: m.session.step.title }))
    else if (m.event === 'step-extended' && m.session.step) this.announcer.say(t('step.extendedSay', { title: m.session.step.title }))
    else if (m.event === 'step-paused' && m.session.step) this.announcer.say(t('step.pausedSay', { title: m.session.step.title }))
    else if (m.event === 'step-resumed' && m.session.step) this.announcer.say(t('step.resumedSay', { title: m.session.step.title }))
    this.facilitation.update(m.session, m.event)
    if (!wasEditable && this.canEdit() && this.dirtyWhileReadOnly) { this.reopenFromServer(); return }
    if (!this.canEdit()) A.stopEditing(this.store, false)
    this.upgradeDocument()
    this.renderAll()
  }

  /**
   * Upgrade an older document (`M.migrate`) once the server's copy is in and, in a session, the
   * server has said this connection may edit: an upgrade written while read-only would be dropped.
   */
  private upgradeDocument (): void {
    if (this.conn.provider.synced && this.canEdit() && (this.sessionHeard || !this.opts.stored)) M.migrate(this.doc)
  }

  /**
   * Leaves the board. A session's token and this device's copy of its board are forgotten (a
   * shared computer must not reopen it); changes not saved yet would be lost, so then the first
   * click only says so.
   */
  private async leave (): Promise<void> {
    const stored = this.opts.stored
    if (!stored) { this.opts.onLeave(); return }
    if (this.unsaved() > 0 && !this.confirmLeave) {
      this.confirmLeave = true
      this.renderBanner()
      this.announcer.say(this.banner.textContent ?? '')
      return
    }
    this.destroyed = true
    this.conn.provider.disconnect()
    this.drafts?.conn.provider.disconnect()
    try {
      await Promise.all([this.conn.clearLocal(), this.drafts ? this.drafts.conn.clearLocal() : forgetDrafts(stored.session.id, stored.participant_id)])
    } finally {
      forgetSession(stored.session.id)
      this.opts.onLeave()
    }
  }

  /**
   * This device's copy holds edits the server dropped (made while read-only, or that a rule
   * forbids): sent again on every reconnect, they must go. The copy is thrown away with its
   * offline store, and the board opens again from the server's (the app mounts it again, no
   * reload; `notice` says why).
   */
  private reopenFromServer (notice?: string): void {
    if (this.destroyed) return
    this.destroyed = true
    this.conn.provider.disconnect()
    void this.conn.clearLocal().finally(() => this.opts.onReset ? this.opts.onReset(notice) : location.reload())
  }

  /** Shows (and says) why the board was opened again, for a while. */
  private showNotice (notice: string): void {
    this.notice = notice
    this.announcer.say(notice)
    setTimeout(() => { this.notice = undefined; if (!this.destroyed) this.renderBanner() }, NOTICE_MS)
  }

  /** Reads the current step's zones from the agenda (every participant may); a development room has none. */
  private loadZones (): void {
    const token = this.opts.stored?.token
    const id = this.session?.id
    if (!token || !id) return
    agendaApi.get(token, id).then(({ agenda }) => {
      const step = agenda.steps.find((s) => s.id === agenda.current)
      this.zones = step ? { step: step.id, zones: step.zones } : undefined
      if (!this.destroyed) this.renderAll()
    }, (e) => console.warn('cocreate: agenda not read, the rules shown may be out of date', e))
  }

  /** The board's zones with their names, for the facilitator's controls: its places first, then the rest. */
  private boardZones (): BoardZone[] {
    const named = (zone: string, kind?: string): BoardZone => ({ zone, name: zoneName(this.doc, zone), kind })
    const places = M.templateOf(this.doc) === 'canvas'
      ? [named('canvas')]
      : [...M.stages(this.doc).map((s) => named(`stage:${s.id}`)), ...M.lanes(this.doc).map((l) => named(`lane:${l.id}`, l.kind))]
    return [...places, ...FEATURE_ZONES.map((z) => named(z))]
  }

  /** A zone's elements on the board as drawn now: a stage's column, a lane's row, the canvas. */
  private zoneElements (zone: string): HTMLElement[] {
    const [kind, id] = zone.split(/:(.*)/s)
    const sel = kind === 'stage' ? `[data-stage="${CSS.escape(id)}"]` : kind === 'lane' ? `tr[data-lane="${CSS.escape(id)}"]` : zone === 'canvas' ? '#canvas' : ''
    return sel ? [...this.boardRoot.querySelectorAll<HTMLElement>(sel)] : []
  }

  /** Works out the rules as they are now: role, identity, the zones of the step under way. */
  private updateRules (): void {
    const me = this.author().participant
    const role = !this.you ? 'free' : this.isModerator() ? 'moderator' : 'citizen'
    const step = this.facilitation.step()
    const zones = step && step.ended_at === null && this.zones?.step === step.id ? this.zones.zones : undefined
    this.rules = new Rules({ me, role, zones })
    this.draftRules = new Rules({ me, role, drafts: true })
  }

  /** Changes of this person's not stored by the server yet: on the board and in their drafts. */
  private unsaved (): number { return this.connState.pending + (this.drafts?.conn.state.pending ?? 0) }

  /** In a secret vote before its reveal, this person's votes wait in their draft document. */
  private ballotBox (): Y.Doc | undefined {
    return secretBallots(this.facilitation.step()) ? this.drafts?.conn.doc : undefined
  }

  /**
   * Opens this person's draft room while the current step keeps drafts or secret ballots (a late
   * joiner's too), closes it after; new cards go into it while a private step is under way.
   */
  private followDrafts (): void {
    const stored = this.opts.stored
    const step = this.facilitation.step()
    const writer = this.role() === 'moderator' || this.role() === 'citizen'
    if (stored && this.you && writer && keepsDrafts(step) && !this.drafts) {
      const drafts = this.drafts = new Drafts({ origin: location.origin, session: stored.session.id, participant: this.you.participant_id, token: stored.token, store: (doc) => new BoardStore(doc, this.draftEnv) })
      Object.assign(drafts.store, { root: this.boardRoot, narrow: this.store.narrow, view: this.store.view, zoom: this.store.zoom })
      // votes in the ballot box: the cards voted on and the votes left show them
      M.votesMap(drafts.conn.doc).observe((ev) => this.store.publish(this.store.index.votesChanged(ev)))
      drafts.conn.on('state', () => this.renderStatus())
      this.store.drafts = drafts.store
    } else if (this.drafts && !keepsDrafts(step)) {
      this.drafts.destroy()
      this.drafts = undefined
      this.store.drafts = undefined
    }
    this.store.writeDrafts = writesDrafts(step)
    if (this.drafts) Object.assign(this.drafts.store, { narrow: this.store.narrow, view: this.store.view })
  }

  /** Says why cards cannot be added somewhere (the step's zones), and that new cards are private drafts. */
  private renderRulesNote (): void {
    const lines: string[] = []
    const opened = this.canEdit() ? this.rules.openedCardZones() : undefined
    if (opened) lines.push(opened.length ? t('rules.only', { zones: opened.map((z) => zoneName(this.doc, z)).join(', ') }) : t('rules.closed'))
    if (this.canEdit() && this.store.writeDrafts) lines.push(t('draft.writing'))
    const text = lines.join(' ')
    if (this.rulesNote.textContent === text) return
    this.rulesNote.textContent = text
    this.rulesNote.hidden = !text
    if (text) this.announcer.say(text)
  }


  // ---- rendering ----

  renderAll (): void {
    if (this.session) this.facilitation.update(this.session)
    this.updateRules()
    this.followDrafts()
    this.renderRulesNote()
    this.zoneFocus.follow(focusOf(this.session))
    this.renderHeader()
    this.renderBanner()
    this.renderToolbar()
    this.renderSide()
    this.renderStatus()
    this.publishAll()
  }

  /** Permissions, the rules, the language or the view changed: every part of the board (and of the drafts) renders again. */
  private publishAll (): void {
    this.store.publish([ALL])
    this.drafts?.store.publish([ALL])
  }

  private votesLeft (): string {
    const limit = this.session?.votes_per_participant ?? 5
    return t('vote.left', { n: Math.max(0, limit - M.votesUsed(this.doc, this.author().participant, this.ballotBox())), max: limit })
  }

  private renderToolbar (): void {
    clear(this.toolbar)
    this.toolbar.setAttribute('aria-label', t('export.title'))
    this.toolbar.append(...toolbarContent({
      doc: this.doc,
      canEdit: this.canEdit(),
      rules: this.rules,
      view: this.store.view,
      narrow: this.narrow.matches,
      exportAs: (format) => this.exportAs(format),
      votesLeft: () => this.votesLeft(),
      addNote: () => { const s = this.nextFreeSpot(160, 120); A.addNote(this.store, s.x, s.y) },
      addGroup: () => { const s = this.nextFreeSpot(400, 300); A.addGroup(this.store, s.x, s.y) },
      setView: (v) => this.setView(v),
      zoom: this.zoomEl
    }))
  }

  /** Saves the board as a PNG, CSV or JSON file named after the session (or room). */
  private exportAs (format: 'png' | 'csv' | 'json'): void {
    const name = (this.session?.title || this.opts.devRoom?.room || 'board').replace(/[^\w.-]+/g, '_')
    const save = { png: exportPng, csv: exportCsv, json: exportJson }[format]
    save(this.doc, name)
  }

  private setView (view: 'visual' | 'text'): void {
    this.store.view = view
    if (this.drafts) this.drafts.store.view = view
    localStorage.setItem('cocreate.view', view)
    this.renderToolbar()
    this.publishAll()
    this.toolbar.querySelector<HTMLElement>(`#view-${view}`)?.focus()
  }

  /** Select an item and bring it into view: on a phone, its stage is the one shown. */
  showItem (id: string): void {
    const it = M.item(this.doc, id)
    if (!it) return
    const si = M.stages(this.doc).findIndex((s) => s.id === it.stage)
    if (si >= 0 && this.store.narrow) this.store.showStage(si)
    this.store.select(id)
    this.store.focusItem(id)
  }

  /** The first place, row by row from the visible top left, where a w×h item covers nothing. */
  private nextFreeSpot (w: number, h: number): { x: number, y: number } {
    const taken = [...this.store.index.canvasItems(), ...this.drafts?.store.index.canvasItems() ?? []].map(M.boxOf)
    const gap = 16
    const z = this.store.zoom
    const x0 = this.boardWrap.scrollLeft / z + 24; const y0 = this.boardWrap.scrollTop / z + 24
    for (let k = 0; k < 400; k++) {
      const x = x0 + (k % 8) * 90; const y = y0 + Math.floor(k / 8) * 70
      if (!taken.some((b) => x < b.x + b.w + gap && b.x < x + w + gap && y < b.y + b.h + gap && b.y < y + h + gap)) return { x, y }
    }
    return { x: x0, y: y0 }
  }

  private templateName (): string {
    const tpl = M.templateOf(this.doc) ?? (this.session?.template as M.Template | undefined) ?? this.opts.devRoom?.template
    return tpl ? t(`template.${tpl}` as Key) : ''
  }

  private renderHeader (): void {
    // The header is rebuilt when the session changes: keep a keyboard user's focus where it was.
    const focused = this.header.contains(document.activeElement) ? document.activeElement?.id : undefined
    clear(this.header)
    const title = this.session?.title ?? this.opts.devRoom?.room ?? ''
    const langSel = h('select', { id: 'ui-lang', 'aria-label': t('lang.label') },
      ...LANGUAGES.map((l) => h('option', { value: l, lang: l, selected: l === lang(), text: LANGUAGE_NAMES[l] })))
    langSel.addEventListener('change', () => {
      if (!isLang(langSel.value)) return
      chooseLang(langSel.value)
      if (this.opts.stored) { this.opts.stored.lang = langSel.value; storeSession(this.opts.stored) }
      this.renderAll()
    })
    const you = this.you ? t('board.you', { name: this.you.display_name, role: t(`role.${this.you.role}` as Key) }) : t('board.you', { name: devIdentity().name, role: t('role.citizen') })
    this.header.append(
      h('div', { class: 'titles' },
        h('h1', { id: 'board-title', tabindex: '-1' }, h('span', { class: 'tpl', text: this.templateName() }), ' ', h('span', { text: title })),
        h('p', { class: 'you', id: 'you', text: you })),
      h('div', { class: 'session-info' },
        // a current agenda step shows in the step banner instead
        this.session?.phase && !this.closed() && !this.session.step ? h('span', { class: 'phase', id: 'phase', text: t('phase.label', { phase: this.session.phase }) }) : null,
        this.timerEl,
        this.statusEl,
        recordedIndicator(this.session)),
      h('div', { class: 'header-actions' },
        langSel,
        // moderators may replay a recorded session (researchers only ever see the replay)
        this.session?.research?.recorded && (this.role() === 'researcher' || this.isModerator())
          ? h('a', { class: 'btn', id: 'open-replay', href: `#s=${encodeURIComponent(this.session.id)}&view=replay`, text: t('replay.open') })
          : null,
        h('button', { type: 'button', class: 'btn', id: 'leave', onclick: () => { void this.leave() }, text: t('leave') }))
    )
    if (focused) document.getElementById(focused)?.focus()
    this.renderTimer()
  }

  private renderTimer (): void {
    // once the session is closed its phase and timer are over: the banner says it is closed
    // an agenda step's countdown is the step banner's
    const end = this.closed() || this.session?.step ? undefined : this.session?.timer_ends_at
    // ticks every second: without a timer it leaves the page alone (no style or layout work)
    if (!end) { if (!this.timerEl.hidden) { this.timerEl.textContent = ''; this.timerEl.hidden = true } return }
    this.timerEl.hidden = false
    const left = Math.max(0, Math.round((end - Date.now()) / 1000))
    const was = this.timerEl.dataset.left
    this.timerEl.dataset.left = String(left)
    if (left === 0) {
      this.timerEl.textContent = t('timer.done')
      if (was && was !== '0') this.announcer.say(t('timer.done'))
    } else {
      const mm = Math.floor(left / 60); const ss = String(left % 60).padStart(2, '0')
      this.timerEl.textContent = t('timer.label', { time: `${mm}:${ss}` })
    }
  }

  private renderStatus (): void {
    // this person's drafts are changes of theirs too: saved, pending or kept like the board's
    const draftState = this.drafts?.conn.state
    const s = { ...this.connState, pending: this.unsaved(), keptLocally: this.connState.keptLocally && (draftState?.keptLocally ?? true) }
    const parts: string[] = []
    if (s.refused) parts.push(t('status.refused', { reason: refusalText(s.refused) }))
    else if (s.status === 'online') parts.push(t('status.online'), s.pending ? t('status.pending', { n: s.pending }) : t('status.saved'))
    else if (s.status === 'offline') parts.push(s.pending ? t(s.keptLocally ? 'status.offlinePending' : 'status.offlineUnsaved', { n: s.pending }) : t('status.offline'))
    else parts.push(t(s.status === 'closed' ? 'status.closed' : 'status.connecting'), s.pending ? t('status.pending', { n: s.pending }) : '')
    // it changes with every edit sent and saved: only what differs is written to the page
    const text = parts.filter(Boolean).join(' · ')
    if (this.statusEl.textContent !== text) this.statusEl.textContent = text
    const data: Record<string, string> = { status: s.refused ? 'refused' : s.status, pending: String(s.pending), local: s.keptLocally ? 'kept' : 'writing' }
    for (const [k, v] of Object.entries(data)) if (this.statusEl.dataset[k] !== v) this.statusEl.dataset[k] = v
    const key = s.refused ? 'refused' : s.status
    const last = this.lastStatus
    this.lastStatus = key
    if (last && last !== key) this.announcer.say(this.statusEl.textContent, undefined, false)
    // refused (kicked, token expired): the page turns read-only
    if (key === 'refused' && last !== key) this.renderAll()
  }

  private renderBanner (): void {
    clear(this.banner)
    let msg = ''
    if (M.isNewerSchema(this.doc)) msg = t('board.newerSchema')
    else if (this.notice) msg = this.notice
    else if (this.confirmLeave && this.unsaved() > 0) msg = t('leave.unsaved', { n: this.unsaved() })
    else if (this.connState.refused) msg = t('status.refused', { reason: refusalText(this.connState.refused) })
    else if (this.session?.state === 'closed') msg = t('readonly.closed')
    else if (this.you && !this.you.can_edit) msg = this.session?.state === 'locked' ? t('readonly.locked') : t('readonly.role')
    this.banner.hidden = !msg
    this.banner.textContent = msg
    // closed: the receipt and questionnaire are in the side bar, below the board on a phone
    if (msg && this.session?.state === 'closed' && this.opts.stored?.receipt) {
      this.banner.append(' ', h('button', {
        type: 'button', class: 'btn small', id: 'to-receipt', text: t('receipt.title'),
        onclick: () => { const el = document.getElementById('closed-thanks-title'); el?.scrollIntoView(); el?.focus() }
      }))
    }
    this.el.classList.toggle('read-only', !this.canEdit())
  }

  private renderSide (): void {
    // the facilitator's controls stay where they are (Preact keeps them, and focus in them)
    for (const c of [...this.side.children]) if (c !== this.facilHost && c !== this.senseHost) c.remove()
    const rest: HTMLElement[] = []
    if (this.isModerator() && this.opts.stored && this.session) this.placeSensemaking(this.opts.stored.token)
    if (this.isModerator() && this.opts.stored && this.session) this.placeFacilitation(this.opts.stored.token)
    if (this.isModerator() && this.opts.stored && this.session) {
      if (!this.moderator) {
        const token = this.opts.stored.token
        const cards = (): DecidableCard[] => this.decidableCards()
        const decisions = this.decisions = new DecisionPanel(token, () => this.session!.id, cards)
        // a vote, or a card added, moved or deleted: the moderator's decision list follows
        this.unmount.push(this.store.subscribe([VOTES, CELLS, CANVAS], () => decisions.render()))
        const parts = [this.decisions, new CarryPanel(token, () => this.session!, cards)]
        this.moderator = new ModeratorConsole(token, () => this.session!, (s) => { this.session = s; this.renderAll() }, this.announcer, {
          online: () => new Set(this.presence.peers().map((p) => p.participant)),
          itemName: (id) => A.itemName(M.item(this.doc, id)),
          showItem: (id) => this.showItem(id)
        }, parts)
      }
      this.moderator.render()
      rest.push(this.moderator.el)
    }
    // a moderator's console comes first, then their own receipt and who is here
    this.side.append(...rest, ...this.receiptParts(), this.presence.el)
    this.presence.render(true)
  }

  /**
   * The cards and notes a moderator decides on, as on the board: stage by stage, lane by lane,
   * oldest first within a cell (a canvas: oldest first), with their stage's name and votes.
   */
  private decidableCards (): DecidableCard[] {
    const stages = M.stages(this.doc)
    const position = (list: { id: string }[]): Map<string | undefined, number> => new Map(list.map((a, k) => [a.id, k]))
    const stageAt = position(stages)
    const laneAt = position(M.lanes(this.doc))
    const votes = M.voteCounts(this.doc)
    // a secret vote before its reveal: no tallies, here either
    const tallies = !secretBallots(this.facilitation.step())
    const at = (where: Map<string | undefined, number>, id: string | undefined): number => where.get(id) ?? -1
    return M.allItems(this.doc)
      .filter((i) => i.type === 'card' || i.type === 'note')
      .sort((a, b) => at(stageAt, a.stage) - at(stageAt, b.stage) || at(laneAt, a.lane) - at(laneAt, b.lane) || a.createdAt - b.createdAt)
      .map((i) => {
        const stage = stages[at(stageAt, i.stage)]
        return { id: i.id, name: A.itemName(i), votes: tallies ? votes.get(i.id) ?? 0 : null, stage: stage ? axisName('stages', stage) : '' }
      })
  }

  /**
   * The facilitator's controls at the top of the moderator's screen: first in the side bar, and
   * on a phone (where the side bar is below the board) above the board.
   */
  private placeFacilitation (token: string): void {
    if (!this.facilMounted) {
      this.facilMounted = true
      this.unmount.push(mountFacilitatorConsole({
        token,
        f: this.facilitation,
        template: () => M.templateOf(this.doc) ?? this.session?.template,
        onSession: (s) => { this.session = s; this.renderAll() },
        announcer: this.announcer,
        zones: () => this.boardZones()
      }, this.facilHost))
      this.narrow.addEventListener('change', () => this.placeFacilitation(token))
    }
    const layout = this.el.querySelector('.layout')
    const placed = this.narrow.matches ? this.facilHost.nextElementSibling === layout : this.side.firstChild === this.facilHost
    if (placed) return
    // moving it drops keyboard focus: it goes back where it was
    const focused = this.facilHost.contains(document.activeElement) ? document.activeElement as HTMLElement : undefined
    if (this.narrow.matches) layout?.before(this.facilHost); else this.side.prepend(this.facilHost)
    focused?.focus()
  }

  /** What the sensemaking panels need from this page. */
  private senseContext (token: string): SenseContext {
    return { token, session: this.session!.id, store: this.store, showItem: (id) => this.showItem(id), clustering: () => this.facilitation.step()?.method === 'cluster' }
  }

  /** The moderator's sensemaking panel, under the facilitator's controls (loaded the first time). */
  private placeSensemaking (token: string): void {
    if (this.senseHost.parentElement === this.side) return
    this.side.prepend(this.senseHost)
    if (!this.senseHost.firstChild) void import('../sensemaking/panel').then((m) => { if (!this.destroyed) this.unmount.push(m.mountSensemaking(this.senseContext(token), this.senseHost)) })
  }

  /**
   * The person's receipt: a small panel while the session runs; once it closed, shown again with
   * thanks and the questionnaire (issue 20).
   */
  private receiptParts (): HTMLElement[] {
    const stored = this.opts.stored
    const title = this.session?.title ?? ''
    if (!stored?.receipt) return []
    if (this.session?.state !== 'closed') return [receiptPanel(stored, title)!]
    if (this.evaluation?.lang !== lang()) this.evaluation = { lang: lang(), el: evaluationForm(stored.receipt) }
    return [h('section', { class: 'closed-thanks', id: 'closed-thanks', 'aria-labelledby': 'closed-thanks-title' },
      h('h2', { id: 'closed-thanks-title', tabindex: '-1', text: t('receipt.closedTitle') }),
      receiptPanel(stored, title), this.evaluation.el)]
  }

  private onPointerMove (e: PointerEvent): void {
    const r = this.boardWrap.getBoundingClientRect()
    // in board pixels: on a zoomed canvas, where the pointer is on the unzoomed board
    const z = this.store.zoom
    const x = Math.round((e.clientX - r.left + this.boardWrap.scrollLeft) / z)
    const y = Math.round((e.clientY - r.top + this.boardWrap.scrollTop) / z)
    this.conn.provider.awareness.setLocalStateField('cursor', { x, y })
  }


}
