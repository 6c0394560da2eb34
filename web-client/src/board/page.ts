//! The board page: header (session, status, phase and timer), the board itself (a grid of lanes
//! by stages for journey maps and service blueprints, positioned notes for the canvas; both are
//! real tables/lists so screen readers and phones get the same model), presence, moderator console.

import * as Y from 'yjs'
import * as M from './model'
import { Connection, type ConnectionState, type Session, type SessionMessage, type You } from '../sync/connection'
import { api, storeSession, type StoredSession } from '../session/api'
import { h, svg, clear } from '../ui/dom'
import { t, axisName, lang, setLang, LANGUAGES, LANGUAGE_NAMES, isLang, type Key } from '../i18n'
import { bindTextarea } from '../sync/textbinding'
import { Announcer } from '../ui/announcer'
import { ModeratorConsole } from '../session/moderator'
import { exportCsv, exportJson, exportPng, drawBoard, signed, emotionText } from '../research/export'
import { connectorLayer, addConnectorLine } from './connectors'
import { announceRemoteChanges } from './remote-changes'
import { CursorLayer } from './cursors'
import { recordedIndicator } from '../session/recording'

export interface BoardOptions {
  /** A session joined with a token (from localStorage). */
  stored?: StoredSession
  /** A development room on a server started with --open-rooms: no token, the client seeds it. */
  devRoom?: { room: string, template: M.Template }
  onLeave: () => void
}

interface PeerState {
  clientId: number
  name: string
  role: string
  participant: string
  color: string
  cursor?: { x: number, y: number }
  selection?: string
  editing?: string
}

const PEER_COLORS = ['#b3261e', '#0b57d0', '#146c2e', '#8e24aa', '#a15c00', '#00696f', '#6750a4', '#7d5260']
const NARROW = '(max-width: 700px)'
const CARD_MIME = 'application/x-cocreate-card'

function devIdentity (): { participant: string, name: string } {
  let p = localStorage.getItem('cocreate.dev.participant')
  if (!p) { p = M.newId('p_dev'); localStorage.setItem('cocreate.dev.participant', p) }
  return { participant: p, name: localStorage.getItem('cocreate.dev.name') || 'Guest' }
}

export class BoardPage {
  readonly el = h('div', { class: 'board-page' })
  readonly conn: Connection
  readonly doc: Y.Doc
  private session?: Session
  private you?: You
  private connState: ConnectionState
  private readonly announcer = new Announcer()
  /** The report reason a person picked per card, so that a redraw (someone else's edit) does not reset it. */
  private readonly reportReasons = new Map<string, string>()
  private readonly header = h('header', { class: 'topbar' })
  private readonly banner = h('div', { class: 'banner', role: 'status' })
  private readonly toolbar = h('div', { class: 'toolbar', role: 'toolbar' })
  private readonly boardWrap = h('div', { class: 'board-wrap', id: 'board', tabindex: '-1' })
  private readonly side = h('aside', { class: 'side' })
  private readonly presenceEl = h('section', { class: 'presence', 'aria-labelledby': 'presence-title' })
  private readonly cursors = new CursorLayer()
  private readonly statusEl = h('span', { class: 'conn-status', id: 'conn-status' })
  private readonly timerEl = h('span', { class: 'timer', id: 'timer' })
  private moderator?: ModeratorConsole
  private selected?: string
  private editing?: { id: string, el: HTMLTextAreaElement, unbind: () => void }
  private connectFrom?: string
  private stageIndex = 0
  /** The board as drawn, or its accessible grid/list view (chosen here, kept per browser). */
  private view: 'visual' | 'text' = localStorage.getItem('cocreate.view') === 'text' ? 'text' : 'visual'
  private rendering = false
  private renderQueued = false
  private dirtyWhileReadOnly = false
  private readonly narrow = window.matchMedia(NARROW)
  private readonly color: string
  private timerInterval: ReturnType<typeof setInterval>
  private lastStatus?: string
  private destroyed = false
  private readonly opts: BoardOptions

  constructor (opts: BoardOptions) {
    this.opts = opts
    const stored = opts.stored
    this.session = stored?.session
    if (stored) this.you = { participant_id: stored.participant_id, display_name: stored.display_name, role: stored.role, can_edit: stored.can_edit ?? (stored.role === 'moderator' || stored.role === 'citizen') }
    const room = stored ? stored.session.id : opts.devRoom!.room
    this.conn = new Connection({ origin: location.origin, room, token: stored?.token, storeName: stored ? `s:${room}` : `dev:${room}` })
    this.doc = this.conn.doc
    this.connState = this.conn.state
    this.color = PEER_COLORS[Math.abs(this.doc.clientID) % PEER_COLORS.length]
    this.conn.onDiscardLocal = () => this.discardLocalAndReload()
    this.conn.on('state', (s) => { this.connState = s; this.renderStatus() })
    this.conn.on('session', (m) => this.onSession(m))
    this.conn.provider.on('sync', (synced: boolean) => { if (synced) this.upgradeDocument() })
    const awareness = this.conn.provider.awareness
    awareness.setLocalStateField('user', { color: this.color, name: this.you?.display_name ?? devIdentity().name })
    awareness.on('change', () => {
      this.renderPresence(); this.renderCursors()
      // others' selection and editing show on the cards; pointer moves do not: redrawing the
      // board for every one of them would replace a card between a press and its click
      const onCards = this.peers().filter((p) => p.clientId !== this.doc.clientID)
        .map((p) => `${p.clientId}:${p.selection ?? ''}:${p.editing ?? ''}:${p.name}:${p.color}`).sort().join(',')
      if (onCards !== this.peersOnCards) { this.peersOnCards = onCards; this.scheduleRender() }
      // someone joined or left: the moderator's participant list (from the API) is out of date
      const who = [...new Set(this.peers().map((p) => p.participant))].sort().join(',')
      if (who !== this.presentKey) { this.presentKey = who; this.moderator?.refresh() }
    })
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.local && tr.origin !== this.conn.persistence && !this.canEdit() && tr.changed.size > 0) {
        // an edit while read-only (e.g. forced from the devtools): the server drops it; forget it
        // before editing is allowed again, so it cannot sneak in after an unlock
        this.dirtyWhileReadOnly = true
        this.conn.discardOnResync = true
      }
      this.scheduleRender()
    })
    announceRemoteChanges({
      doc: this.doc,
      announcer: this.announcer,
      isOwn: (tr) => tr.local || tr.origin === this.conn.persistence,
      nameOfClient: (client) => this.peers().find((p) => p.clientId === client)?.name,
      namesOn: (id) => this.othersOn(id).map((p) => p.name)
    })
    this.narrow.addEventListener('change', () => this.scheduleRender())
    this.timerInterval = setInterval(() => this.renderTimer(), 1000)
    this.el.append(
      h('a', { class: 'skip-link', href: '#board', text: t('skip') }),
      this.header, this.banner,
      h('div', { class: 'layout' },
        h('main', { class: 'main', id: 'main' }, this.toolbar, this.boardWrap),
        this.side),
      this.announcer.el
    )
    this.boardWrap.addEventListener('pointermove', (e) => this.onPointerMove(e))
    this.boardWrap.addEventListener('pointerleave', () => awareness.setLocalStateField('cursor', null))
    this.conn.localLoaded.then(() => {
      if (opts.devRoom && !M.templateOf(this.doc)) {
        // a development room: seed once the server's state is in (or right away when offline)
        const seedIt = (): void => { if (!M.templateOf(this.doc)) M.seed(this.doc, opts.devRoom!.template) }
        if (this.conn.provider.synced) seedIt(); else this.conn.provider.once('sync', seedIt)
        if (!navigator.onLine) seedIt()
      }
      if (this.canEdit()) M.migrate(this.doc)
      this.scheduleRender()
    })
    ;(window as unknown as { __cocreate: unknown }).__cocreate = { doc: this.doc, conn: this.conn, model: M, Y, page: this, drawBoard }
    this.renderAll()
  }

  destroy (): void {
    this.destroyed = true
    clearInterval(this.timerInterval)
    this.editing?.unbind()
    this.announcer.destroy()
    this.cursors.destroy()
    this.conn.destroy()
  }

  // ---- identity and permissions ----

  private author (): M.Author {
    if (this.you) return { participant: this.you.participant_id, name: this.you.display_name, language: lang() }
    const d = devIdentity()
    return { participant: d.participant, name: d.name, language: lang() }
  }

  private role (): string { return this.you?.role ?? 'citizen' }
  private isModerator (): boolean { return this.role() === 'moderator' }

  canEdit (): boolean {
    if (M.isNewerSchema(this.doc)) return false
    if (this.connState.refused) return false
    if (!this.you) return true // development room
    if (this.session?.state === 'closed') return false
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
    else if (m.event === 'updated' && before && before.phase !== m.session.phase) this.announcer.say(t('phase.label', { phase: m.session.phase }))
    if (!wasEditable && this.canEdit() && this.dirtyWhileReadOnly) { this.discardLocalAndReload(); return }
    if (!this.canEdit()) this.stopEditing(false)
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

  private discardLocalAndReload (): void {
    if (this.destroyed) return
    this.destroyed = true
    this.conn.provider.disconnect()
    this.conn.clearLocal().finally(() => location.reload())
  }

  // ---- rendering ----

  private laterTimer?: ReturnType<typeof setTimeout>
  private scheduleLater (): void {
    if (this.laterTimer) return
    this.laterTimer = setTimeout(() => { this.laterTimer = undefined; this.scheduleRender() }, 500)
  }

  private scheduleRender (): void {
    if (this.renderQueued || this.destroyed) return
    this.renderQueued = true
    requestAnimationFrame(() => { this.renderQueued = false; if (!this.destroyed) this.renderBoard() })
  }

  renderAll (): void {
    this.renderHeader()
    this.renderBanner()
    this.renderToolbar()
    this.renderSide()
    this.renderBoard()
    this.renderStatus()
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
    langSel.addEventListener('change', () => { if (isLang(langSel.value)) { setLang(langSel.value); this.renderAll() } })
    const you = this.you ? t('board.you', { name: this.you.display_name, role: t(`role.${this.you.role}` as Key) }) : t('board.you', { name: devIdentity().name, role: t('role.citizen') })
    this.header.append(
      h('div', { class: 'titles' },
        h('h1', { id: 'board-title' }, h('span', { class: 'tpl', text: this.templateName() }), ' ', h('span', { text: title })),
        h('p', { class: 'you', id: 'you', text: you })),
      h('div', { class: 'session-info' },
        this.session?.phase ? h('span', { class: 'phase', id: 'phase', text: t('phase.label', { phase: this.session.phase }) }) : null,
        this.timerEl,
        this.statusEl,
        recordedIndicator(this.session)),
      h('div', { class: 'header-actions' },
        langSel,
        // researchers (and moderators) may replay a recorded session
        this.session?.research?.recorded && (this.role() === 'researcher' || this.isModerator())
          ? h('a', { class: 'btn', id: 'open-replay', href: `#s=${encodeURIComponent(this.session.id)}&view=replay`, text: t('replay.open') })
          : null,
        h('button', { type: 'button', class: 'btn', onclick: () => this.opts.onLeave(), text: t('leave') }))
    )
    if (focused) document.getElementById(focused)?.focus()
    this.renderTimer()
  }

  private renderTimer (): void {
    const end = this.session?.timer_ends_at
    if (!end) { this.timerEl.textContent = ''; this.timerEl.hidden = true; return }
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
    const s = this.connState
    const parts: string[] = []
    if (s.refused) parts.push(t('status.refused', { reason: s.refused }))
    else if (s.status === 'online') parts.push(t('status.online'), s.pending ? t('status.pending', { n: s.pending }) : t('status.saved'))
    else if (s.status === 'offline') parts.push(s.pending ? t(s.keptLocally ? 'status.offlinePending' : 'status.offlineUnsaved', { n: s.pending }) : t('status.offline'))
    else parts.push(t(s.status === 'closed' ? 'status.closed' : 'status.connecting'), s.pending ? t('status.pending', { n: s.pending }) : '')
    this.statusEl.textContent = parts.filter(Boolean).join(' · ')
    this.statusEl.dataset.status = s.refused ? 'refused' : s.status
    this.statusEl.dataset.pending = String(s.pending)
    this.statusEl.dataset.local = s.keptLocally ? 'kept' : 'writing'
    const key = s.refused ? 'refused' : s.status
    const last = this.lastStatus
    this.lastStatus = key
    if (last && last !== key) this.announcer.say(this.statusEl.textContent)
    // refused (kicked, token expired): the page turns read-only
    if (key === 'refused' && last !== key) this.renderAll()
  }

  private renderBanner (): void {
    clear(this.banner)
    let msg = ''
    if (M.isNewerSchema(this.doc)) msg = t('board.newerSchema')
    else if (this.connState.refused) msg = t('status.refused', { reason: this.connState.refused })
    else if (this.session?.state === 'closed') msg = t('readonly.closed')
    else if (this.you && !this.you.can_edit) msg = this.session?.state === 'locked' ? t('readonly.locked') : t('readonly.role')
    this.banner.hidden = !msg
    this.banner.textContent = msg
    this.el.classList.toggle('read-only', !this.canEdit())
  }

  private renderToolbar (): void {
    clear(this.toolbar)
    this.toolbar.setAttribute('aria-label', t('export.title'))
    const tpl = M.templateOf(this.doc)
    if (this.canEdit()) {
      if (tpl === 'canvas') {
        this.toolbar.append(
          h('button', { type: 'button', class: 'btn primary', id: 'add-note', onclick: () => this.addNote(), text: t('canvas.addNote') }),
          h('button', { type: 'button', class: 'btn', id: 'add-group', onclick: () => this.addGroup(), text: t('canvas.addGroup') }))
      } else if (tpl) {
        this.toolbar.append(
          h('button', { type: 'button', class: 'btn', id: 'add-stage', onclick: () => { M.addStage(this.doc, ''); this.scheduleRender() }, text: t('board.addStage') }),
          h('button', { type: 'button', class: 'btn', id: 'add-lane', onclick: () => { M.addLane(this.doc, ''); this.scheduleRender() }, text: t('board.addLane') }))
      }
    }
    if (tpl) {
      const choice = (view: 'visual' | 'text', label: Key): HTMLElement =>
        h('button', { type: 'button', class: 'btn', id: `view-${view}`, 'aria-pressed': String(this.view === view), onclick: () => this.setView(view), text: t(label) })
      this.toolbar.append(h('div', { class: 'view-switch', role: 'group', 'aria-label': t('view.label') },
        choice('visual', 'view.visual'), choice('text', tpl === 'canvas' ? 'view.list' : 'view.grid')))
    }
    const limit = this.session?.votes_per_participant ?? 5
    if (this.canEdit()) this.toolbar.append(h('span', { class: 'votes-left', id: 'votes-left', text: t('vote.left', { n: Math.max(0, limit - M.votesUsed(this.doc, this.author().participant)), max: limit }) }))
    const name = (this.session?.title || this.opts.devRoom?.room || 'board').replace(/[^\w.-]+/g, '_')
    this.toolbar.append(h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn', id: 'export-png', onclick: () => exportPng(this.doc, name), text: t('export.png') }),
      h('button', { type: 'button', class: 'btn', id: 'export-print', onclick: () => window.print(), text: t('export.print') }),
      h('button', { type: 'button', class: 'btn', id: 'export-csv', onclick: () => exportCsv(this.doc, name), text: t('export.csv') }),
      h('button', { type: 'button', class: 'btn', id: 'export-json', onclick: () => exportJson(this.doc, name), text: t('export.json') }))
    const help = tpl === 'canvas' ? t('canvas.keyboardHelp') : t('board.keyboardHelp')
    if (this.canEdit()) this.toolbar.append(h('p', { class: 'kbd-help', id: 'kbd-help', text: help }))
  }

  private renderSide (): void {
    clear(this.side)
    this.side.append(this.presenceEl)
    this.renderPresence()
    if (this.isModerator() && this.opts.stored && this.session) {
      if (!this.moderator) {
        this.moderator = new ModeratorConsole(this.opts.stored.token, () => this.session!, (s) => { this.session = s; this.renderAll() }, this.announcer, {
          online: () => new Set(this.peers().map((p) => p.participant)),
          itemName: (id) => this.itemName(M.item(this.doc, id)),
          showItem: (id) => this.showItem(id)
        })
      }
      this.moderator.render()
      this.side.append(this.moderator.el)
    }
  }

  // ---- presence ----

  private peers (): PeerState[] {
    const out: PeerState[] = []
    this.conn.provider.awareness.getStates().forEach((st, clientId) => {
      const u = (st.user ?? {}) as Record<string, unknown>
      out.push({
        clientId,
        name: typeof u.name === 'string' ? u.name : '?',
        role: typeof u.role === 'string' ? u.role : 'citizen',
        participant: typeof u.participant === 'string' ? u.participant : String(clientId),
        color: typeof u.color === 'string' && /^#[0-9a-f]{6}$/i.test(u.color) ? u.color : '#555555',
        cursor: st.cursor && typeof st.cursor === 'object' ? st.cursor as { x: number, y: number } : undefined,
        selection: typeof st.selection === 'string' ? st.selection : undefined,
        editing: typeof st.editing === 'string' ? st.editing : undefined
      })
    })
    return out
  }

  private renderPresence (): void {
    clear(this.presenceEl)
    const me = this.doc.clientID
    const seen = new Map<string, PeerState & { me: boolean }>()
    for (const p of this.peers()) {
      const key = this.you || p.participant !== String(p.clientId) ? p.participant : String(p.clientId)
      const prev = seen.get(key)
      // my own state is not echoed through the server, so its name and role come from the session
      const mine = p.clientId === me ? { name: this.you?.display_name ?? p.name, role: this.role() } : {}
      if (!prev || p.clientId === me) seen.set(key, { ...p, ...mine, me: p.clientId === me || prev?.me === true })
    }
    const list = [...seen.values()].sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name))
    this.presenceEl.append(
      h('h2', { id: 'presence-title', text: t('presence.title', { n: list.length }) }),
      h('ul', { class: 'people', id: 'people' }, ...list.map((p) => {
        const dot = h('span', { class: 'dot', 'aria-hidden': 'true' }); dot.style.background = p.color
        return h('li', { 'data-participant': p.participant },
          dot,
          h('span', { class: 'name', text: p.name }), ' ',
          h('span', { class: 'role', text: `· ${t(`role.${p.role}` as Key)}` }),
          p.me ? h('span', { class: 'me', text: ` ${t('presence.you')}` }) : null,
          p.editing ? h('span', { class: 'editing', text: ` · ${t('presence.editing')}` }) : null)
      })))
  }

  private onPointerMove (e: PointerEvent): void {
    const r = this.boardWrap.getBoundingClientRect()
    const x = Math.round(e.clientX - r.left + this.boardWrap.scrollLeft)
    const y = Math.round(e.clientY - r.top + this.boardWrap.scrollTop)
    this.conn.provider.awareness.setLocalStateField('cursor', { x, y })
  }

  private renderCursors (): void {
    this.cursors.update(this.peers().flatMap((p) => p.clientId !== this.doc.clientID && p.cursor && typeof p.cursor.x === 'number' && typeof p.cursor.y === 'number'
      ? [{ clientId: p.clientId, name: p.name, color: p.color, x: p.cursor.x, y: p.cursor.y }]
      : []))
  }

  private othersOn (id: string): PeerState[] {
    return this.peers().filter((p) => p.clientId !== this.doc.clientID && (p.editing === id || p.selection === id))
  }

  // ---- the board ----

  private renderBoard (): void {
    if (this.destroyed) return
    if (this.renamePending || this.dragging) { this.scheduleLater(); return }
    this.rendering = true
    const active = document.activeElement as HTMLElement | null
    const focusKey = active?.dataset?.key
    const editing = this.editing
    const selStart = editing?.el.selectionStart ?? 0
    const selEnd = editing?.el.selectionEnd ?? 0
    const scroll = { x: this.boardWrap.scrollLeft, y: this.boardWrap.scrollTop }
    // a field being typed into (comment, hide reason) is rebuilt: keep its value and caret
    const field = active instanceof HTMLInputElement && focusKey ? { value: active.value, start: active.selectionStart, end: active.selectionEnd } : undefined
    clear(this.boardWrap)
    const tpl = M.templateOf(this.doc)
    if (!tpl) {
      this.boardWrap.append(h('p', { class: 'loading', text: t('board.loading') }))
    } else if (tpl === 'canvas') {
      this.boardWrap.append(this.renderCanvas())
    } else {
      this.boardWrap.append(this.renderGrid(tpl))
    }
    this.boardWrap.append(this.cursors.el)
    this.renderCursors()
    this.boardWrap.scrollLeft = scroll.x; this.boardWrap.scrollTop = scroll.y
    if (editing && this.editing === editing && editing.el.isConnected) {
      editing.el.focus()
      editing.el.setSelectionRange(selStart, selEnd)
    } else if (focusKey) {
      const el = this.boardWrap.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`) ?? this.toolbar.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)
      if (el && el !== active) {
        if (field && el instanceof HTMLInputElement) { el.value = field.value; if (field.start !== null) el.setSelectionRange(field.start, field.end) }
        el.focus({ preventScroll: true })
      }
    }
    this.rendering = false
    const vl = this.toolbar.querySelector('#votes-left')
    if (vl) { const limit = this.session?.votes_per_participant ?? 5; vl.textContent = t('vote.left', { n: Math.max(0, limit - M.votesUsed(this.doc, this.author().participant)), max: limit }) }
    if (tpl && !this.toolbar.querySelector('#export-png')) this.renderToolbar()
    else if (tpl && this.canEdit() && !this.toolbar.querySelector('#add-note, #add-stage')) this.renderToolbar()
    this.renderBanner()
    if (tpl === 'service-blueprint' && !this.textView()) requestAnimationFrame(() => this.drawBlueprintArrows())
  }

  /** The accessible grid (list for the canvas) is shown when chosen, and always on phones. */
  private textView (): boolean { return this.view === 'text' || this.narrow.matches }

  private setView (view: 'visual' | 'text'): void {
    this.view = view
    localStorage.setItem('cocreate.view', view)
    this.renderToolbar()
    this.renderBoard()
    this.toolbar.querySelector<HTMLElement>(`#view-${view}`)?.focus()
  }

  private renderGrid (tpl: M.Template): HTMLElement {
    const doc = this.doc
    const allStages = M.stages(doc)
    const lanes = M.lanes(doc)
    const narrow = this.narrow.matches
    if (this.stageIndex >= allStages.length) this.stageIndex = Math.max(0, allStages.length - 1)
    const shown = narrow ? allStages.slice(this.stageIndex, this.stageIndex + 1) : allStages
    const edit = this.canEdit()
    const wrap = h('div', { class: `grid-wrap tpl-${tpl}${this.textView() ? ' text-view' : ''}` })
    if (narrow && allStages.length) {
      const cur = allStages[this.stageIndex]
      wrap.append(h('nav', { class: 'stage-nav', 'aria-label': t('board.stages') },
        h('button', { type: 'button', class: 'btn', 'data-key': 'stage-prev', disabled: this.stageIndex === 0, onclick: () => { this.stageIndex--; this.scheduleRender() }, text: `‹ ${t('board.prevStage')}` }),
        h('span', { class: 'stage-of', 'aria-live': 'polite', text: t('board.stageOf', { i: this.stageIndex + 1, n: allStages.length, name: axisName('stages', cur) }) }),
        h('button', { type: 'button', class: 'btn', 'data-key': 'stage-next', disabled: this.stageIndex >= allStages.length - 1, onclick: () => { this.stageIndex++; this.scheduleRender() }, text: `${t('board.nextStage')} ›` })))
    }
    const table = h('table', { class: 'grid', id: 'grid', 'aria-labelledby': 'board-title' })
    const headRow = h('tr', {}, h('td', { class: 'corner' }))
    for (const s of shown) {
      const name = axisName('stages', s)
      const i = allStages.indexOf(s)
      headRow.append(h('th', { scope: 'col', class: 'stage-head', 'data-stage': s.id },
        h('span', { class: 'axis-name', text: name }),
        edit ? h('span', { class: 'axis-actions' },
          h('button', { type: 'button', class: 'icon-btn', 'data-key': `rename-stage:${s.id}`, 'aria-label': t('board.renameStage', { name }), title: t('board.rename'), onclick: () => this.renameAxis('stages', s, name), text: '✎' }),
          h('button', { type: 'button', class: 'icon-btn', 'data-key': `left-stage:${s.id}`, 'aria-label': `${t('board.moveLeft')}: ${name}`, title: t('board.moveLeft'), disabled: i === 0, onclick: () => M.reorderAxis(doc, 'stages', s.id, -1), text: '◀' }),
          h('button', { type: 'button', class: 'icon-btn', 'data-key': `right-stage:${s.id}`, 'aria-label': `${t('board.moveRight')}: ${name}`, title: t('board.moveRight'), disabled: i === allStages.length - 1, onclick: () => M.reorderAxis(doc, 'stages', s.id, 1), text: '▶' }),
          h('button', { type: 'button', class: 'icon-btn', 'data-key': `delete-stage:${s.id}`, 'aria-label': `${t('board.delete')}: ${name}`, title: t('board.deleteEmpty'), disabled: allStages.length < 2 || M.allItems(doc).some((it) => it.type === 'card' && it.stage === s.id), onclick: () => M.deleteAxis(doc, 'stages', s.id), text: '✕' })) : null))
    }
    table.append(h('thead', {}, headRow))
    const body = h('tbody')
    lanes.forEach((l, li) => {
      const lname = axisName('lanes', l)
      const row = h('tr', { 'data-lane': l.id, class: `lane lane-${l.kind}` },
        h('th', { scope: 'row', class: 'lane-head' },
          h('span', { class: 'axis-name', text: lname }),
          edit ? h('span', { class: 'axis-actions' },
            h('button', { type: 'button', class: 'icon-btn', 'data-key': `rename-lane:${l.id}`, 'aria-label': t('board.renameLane', { name: lname }), title: t('board.rename'), onclick: () => this.renameAxis('lanes', l, lname), text: '✎' }),
            h('button', { type: 'button', class: 'icon-btn', 'data-key': `up-lane:${l.id}`, 'aria-label': `${t('board.moveUp')}: ${lname}`, title: t('board.moveUp'), disabled: li === 0, onclick: () => M.reorderAxis(doc, 'lanes', l.id, -1), text: '▲' }),
            h('button', { type: 'button', class: 'icon-btn', 'data-key': `down-lane:${l.id}`, 'aria-label': `${t('board.moveDown')}: ${lname}`, title: t('board.moveDown'), disabled: li === lanes.length - 1, onclick: () => M.reorderAxis(doc, 'lanes', l.id, 1), text: '▼' }),
            h('button', { type: 'button', class: 'icon-btn', 'data-key': `delete-lane:${l.id}`, 'aria-label': `${t('board.delete')}: ${lname}`, title: t('board.deleteEmpty'), disabled: lanes.length < 2 || M.allItems(doc).some((it) => it.type === 'card' && it.lane === l.id), onclick: () => M.deleteAxis(doc, 'lanes', l.id), text: '✕' })) : null))
      for (const s of shown) row.append(this.renderCell(l, s, lname))
      body.append(row)
      if (tpl === 'journey-map' && l.kind === 'emotions') body.append(this.renderEmotionRow(shown, allStages, !this.textView()))
      const line = tpl === 'service-blueprint' ? M.BLUEPRINT_LINES[l.kind] : undefined
      if (line) body.append(h('tr', { class: `bp-line bp-line-${line}` }, h('td', { colspan: shown.length + 1 }, h('span', { text: t(`line.${line}` as Key) }))))
    })
    table.append(body)
    wrap.append(table)
    return wrap
  }

  /** The emotion curve under the Emotions lane: its value per stage, and drawn when `drawn`. */
  private renderEmotionRow (shown: M.Axis[], all: M.Axis[], drawn: boolean): HTMLElement {
    const doc = this.doc
    const edit = this.canEdit()
    const row = h('tr', { class: 'emotion-row' }, h('th', { scope: 'row', class: 'lane-head', text: t('emotion.curve') }))
    const y = (v: number | undefined): number => v === undefined ? 30 : 30 - v * 12
    const me = this.author().participant
    for (const s of shown) {
      const i = all.indexOf(s)
      const v = M.emotion(doc, s.id)
      const prev = i > 0 ? M.emotion(doc, all[i - 1].id) : undefined
      const next = i < all.length - 1 ? M.emotion(doc, all[i + 1].id) : undefined
      const sname = axisName('stages', s)
      const mine = M.myEmotion(doc, s.id, me)
      const value = emotionText(doc, s.id)
      const graph = svg('svg', { viewBox: '0 0 100 60', preserveAspectRatio: 'none', class: 'curve', 'aria-hidden': 'true' })
      graph.append(svg('line', { x1: 0, y1: 30, x2: 100, y2: 30, class: 'zero' }))
      if (v !== undefined) {
        const pts = [[0, prev !== undefined ? (y(prev) + y(v)) / 2 : y(v)], [50, y(v)], [100, next !== undefined ? (y(next) + y(v)) / 2 : y(v)]]
        graph.append(svg('polyline', { points: pts.map((p) => p.join(',')).join(' '), class: 'curve-line' }))
        graph.append(svg('circle', { cx: 50, cy: y(v), r: 4, class: 'curve-dot' }))
      }
      const label = t('emotion.label', { stage: sname, value })
      row.append(h('td', { class: 'emotion-cell', 'data-stage': s.id },
        drawn ? graph : null,
        h('div', { class: 'emotion-controls' },
          edit ? h('button', { type: 'button', class: 'icon-btn', 'data-key': `emo-down:${s.id}`, 'aria-label': `${t('emotion.down')}: ${sname}`, title: t('emotion.down'), disabled: mine === M.EMOTION_MIN, onclick: () => M.setEmotion(doc, s.id, me, (mine ?? 0) - 1), text: '−' }) : null,
          h('span', { class: 'emotion-value' }, h('span', { class: 'visually-hidden', text: label }), h('span', { 'aria-hidden': 'true', text: value })),
          edit ? h('button', { type: 'button', class: 'icon-btn', 'data-key': `emo-up:${s.id}`, 'aria-label': `${t('emotion.up')}: ${sname}`, title: t('emotion.up'), disabled: mine === M.EMOTION_MAX, onclick: () => M.setEmotion(doc, s.id, me, (mine ?? 0) + 1), text: '+' }) : null),
        mine !== undefined ? h('p', { class: 'emotion-mine', text: t('emotion.yours', { value: signed(mine) }) }) : null))
    }
    return row
  }

  private renderCell (l: M.Axis, s: M.Axis, lname: string): HTMLElement {
    const cards = M.cardsIn(this.doc, l.id, s.id)
    const sname = axisName('stages', s)
    const td = h('td', { class: 'cell', 'data-lane': l.id, 'data-stage': s.id })
    const ul = h('ul', { class: 'cards', 'aria-label': t('board.cell', { lane: lname, stage: sname, n: cards.length }) })
    for (const c of cards) ul.append(h('li', {}, this.renderCard(c)))
    td.append(ul)
    if (this.canEdit()) {
      td.addEventListener('dragover', (e) => {
        if (!e.dataTransfer?.types.includes(CARD_MIME)) return
        e.preventDefault()
        e.dataTransfer.dropEffect = 'move'
        td.classList.add('drop-target')
      })
      td.addEventListener('dragleave', () => td.classList.remove('drop-target'))
      td.addEventListener('drop', (e) => {
        const id = e.dataTransfer?.getData(CARD_MIME)
        td.classList.remove('drop-target')
        this.dragging = false
        if (!id) return
        e.preventDefault()
        // the drop position among the cell's cards (by their vertical middles)
        const others = [...ul.querySelectorAll<HTMLElement>(':scope > li > .card')].filter((x) => x.dataset.id !== id)
        const index = others.findIndex((x) => { const r = x.getBoundingClientRect(); return e.clientY < r.top + r.height / 2 })
        M.moveCard(this.doc, id, l.id, s.id, index < 0 ? undefined : index)
        this.selected = id
        this.renderBoard()
        this.focusCard(id)
      })
      td.append(h('button', {
        type: 'button', class: 'add-card', 'data-key': `add:${l.id}:${s.id}`, 'aria-label': t('board.addCardIn', { lane: lname, stage: sname }),
        onclick: () => this.addCard(l.id, s.id), onkeydown: (e: Event) => this.onCellKey(e as KeyboardEvent, l.id, s.id)
      }, h('span', { 'aria-hidden': 'true', text: '+ ' }), t('board.addCard')))
    }
    return td
  }

  /** A card (grid) or note (canvas): text, author, votes, and its actions when selected. */
  private renderCard (c: M.ItemView): HTMLElement {
    const doc = this.doc
    const isNote = c.type === 'note' || c.type === 'group'
    const others = this.othersOn(c.id)
    const hiddenText = c.hidden ? t('board.hidden', { reason: c.hidden.reason }) : ''
    const shownText = hiddenText || c.text || t('board.cardEmpty')
    const labelKey: Key = c.type === 'group' ? 'canvas.group' : isNote ? 'canvas.note' : 'board.cardLabel'
    const el = h('article', {
      class: `card${c.hidden ? ' hidden-item' : ''}${this.selected === c.id ? ' selected' : ''}${c.type === 'note' ? ` note color-${c.color ?? 'yellow'}` : ''}${c.type === 'group' ? ' group' : ''}`,
      tabindex: '0',
      'data-key': `card:${c.id}`,
      'data-id': c.id,
      'aria-label': t(labelKey, { author: c.authorName || '?', text: shownText })
    })
    const votes = M.votesFor(doc, c.id)
    const textEl = h('p', { class: 'card-text', lang: c.language || undefined, text: shownText })
    if (this.editing?.id === c.id && !c.hidden) {
      el.append(this.editing.el)
      el.classList.add('editing')
    } else {
      el.append(textEl)
    }
    const meta = h('p', { class: 'card-meta' },
      h('span', { class: 'author', text: t('board.author', { name: c.authorName || '?' }) }),
      votes ? h('span', { class: 'vote-count', 'data-votes': votes, text: ` · ${t('vote.count', { n: votes })}` }) : null)
    el.append(meta)
    for (const o of others) {
      const badge = h('span', { class: 'peer-badge', text: o.editing === c.id ? t('board.editingBy', { name: o.name }) : o.name })
      badge.style.background = o.color
      el.append(badge)
      el.style.outlineColor = o.color
      el.classList.add('peer-active')
    }
    const arrows = M.connectorsOf(doc, c.id)
    if (arrows.length) {
      el.append(h('ul', { class: 'card-arrows' }, ...arrows.map((a) => {
        const outgoing = a.from === c.id
        const other = M.item(doc, outgoing ? a.to! : a.from!)
        const key: Key = a.directed === false ? 'arrow.both' : outgoing ? 'arrow.to' : 'arrow.from'
        return h('li', {}, h('span', { 'aria-hidden': 'true', text: `${a.directed === false ? '↔' : outgoing ? '→' : '←'} ` }), t(key, { text: this.itemName(other) }))
      })))
    }
    // the visual canvas shows a note inside its group; say so (the list view nests it instead)
    if (c.group && !this.textView()) el.append(h('p', { class: 'in-group', text: t('canvas.inGroup', { text: this.itemName(M.item(doc, c.group)) }) }))
    const comments = M.commentsOf(doc, c.id)
    if (comments.length || this.selected === c.id) {
      const details = h('details', { class: 'comments', open: this.selected === c.id ? true : undefined },
        h('summary', { 'data-key': `comments:${c.id}`, text: t('comment.label', { n: comments.length }) }),
        h('ul', {}, ...comments.map((cm) => h('li', { lang: cm.language || undefined },
          h('span', { class: 'author', text: `${cm.authorName || '?'}: ` }),
          h('span', { text: cm.hidden ? t('board.hidden', { reason: cm.hidden.reason }) : cm.text })))))
      if (this.canEdit() && this.selected === c.id && !c.hidden) {
        const input = h('input', { type: 'text', class: 'comment-input', 'data-key': `comment-input:${c.id}`, 'aria-label': t('comment.placeholder'), placeholder: t('comment.placeholder') })
        const form = h('form', { class: 'comment-form' }, input, h('button', { type: 'submit', class: 'btn', text: t('comment.send') }))
        form.addEventListener('submit', (e) => {
          e.preventDefault()
          const text = input.value.trim()
          if (!text) return
          M.addComment(doc, this.author(), c.id, text)
          input.value = ''
        })
        details.append(form)
      }
      el.append(details)
    }
    if (this.selected === c.id) el.append(this.renderActions(c))
    el.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('button, input, textarea, select, summary, form')) return
      this.activate(c.id)
    })
    if (c.type === 'card' && this.canEdit() && !c.hidden && this.editing?.id !== c.id) {
      // mouse and touch-pad users drag cards between cells (keyboard users: Ctrl+arrows)
      el.draggable = true
      el.addEventListener('dragstart', (e) => {
        e.dataTransfer?.setData(CARD_MIME, c.id)
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move'
        this.dragging = true
      })
      el.addEventListener('dragend', () => { this.dragging = false; this.scheduleRender() })
    }
    el.addEventListener('keydown', (e) => this.onCardKey(e, c))
    el.addEventListener('focus', () => this.conn.provider.awareness.setLocalStateField('selection', c.id))
    return el
  }

  /** A moderation request from a card: its failure is said, its success shows in the console. */
  private moderate (request: Promise<unknown>): void {
    request.then(() => this.moderator?.refresh(), (e) => this.announcer.say(t('mod.error', { error: String(e.message ?? e) })))
  }

  /** How an item is named in lists and announcements: its text, never hidden text. */
  private itemName (i: M.ItemView | undefined): string {
    if (!i) return '?'
    if (i.hidden) return '…'
    return i.text || t(i.type === 'group' ? 'canvas.untitledGroup' : 'board.cardEmpty')
  }

  private renderActions (c: M.ItemView): HTMLElement {
    const doc = this.doc
    const bar = h('div', { class: 'card-actions', role: 'group', 'aria-label': t('board.edit') })
    const edit = this.canEdit()
    const me = this.author().participant
    const limit = this.session?.votes_per_participant ?? 5
    const btn = (key: string, label: Key, fn: () => void, extra: Record<string, string | boolean | undefined> = {}): HTMLButtonElement =>
      h('button', { type: 'button', class: 'btn small', 'data-key': `${key}:${c.id}`, onclick: fn, text: t(label), ...extra })
    if (edit && !c.hidden) {
      bar.append(btn('edit', 'board.edit', () => this.startEditing(c.id)))
      const left = limit - M.votesUsed(doc, me)
      bar.append(btn('vote', 'vote.button', () => this.vote(c.id), { disabled: left <= 0 ? true : undefined, title: left <= 0 ? t('vote.none') : undefined }))
      if (M.myVotesOn(doc, c.id, me)) bar.append(btn('unvote', 'vote.remove', () => M.unvote(doc, c.id, me)))
      if (c.type === 'card') {
        bar.append(btn('move-left', 'board.moveLeft', () => this.moveBy(c, -1, 0)), btn('move-right', 'board.moveRight', () => this.moveBy(c, 1, 0)),
          btn('move-up', 'board.moveUp', () => this.moveBy(c, 0, -1)), btn('move-down', 'board.moveDown', () => this.moveBy(c, 0, 1)))
        if (M.templateOf(doc) === 'service-blueprint') bar.append(btn('arrow', 'arrow.add', () => this.startConnect(c.id)))
      } else {
        bar.append(btn('connect', 'canvas.connect', () => this.startConnect(c.id)))
        if (c.type === 'note') {
          const sel = h('select', { 'aria-label': t('canvas.color'), 'data-key': `color:${c.id}` },
            ...M.NOTE_COLORS.map((col) => h('option', { value: col, selected: c.color === col, text: t(`color.${col}` as Key) })))
          sel.addEventListener('change', () => M.setColor(doc, c.id, sel.value))
          const groups = M.readingOrder(M.allItems(doc).filter((g) => g.type === 'group'))
          const group = h('select', { 'aria-label': t('canvas.groupChoice'), 'data-key': `group:${c.id}` },
            h('option', { value: '', selected: !c.group, text: t('canvas.noGroup') }),
            ...groups.map((g) => h('option', { value: g.id, selected: c.group === g.id, text: this.itemName(g) })))
          group.addEventListener('change', () => M.joinGroup(doc, c.id, group.value || undefined))
          bar.append(sel, group)
        }
      }
      for (const a of M.connectorsOf(doc, c.id).filter((x) => x.from === c.id || x.directed === false)) {
        const other = this.itemName(M.item(doc, a.from === c.id ? a.to! : a.from!)).slice(0, 20)
        bar.append(
          h('button', { type: 'button', class: 'btn small', 'data-key': `direction:${a.id}`, onclick: () => M.setDirected(doc, a.id, a.directed === false), text: `${t(a.directed === false ? 'arrow.makeOneWay' : 'arrow.makeTwoWay')}: ${other}` }),
          h('button', { type: 'button', class: 'btn small', 'data-key': `unarrow:${a.id}`, onclick: () => M.deleteItem(doc, a.id), text: `${t('arrow.remove')}: ${other}` }))
      }
      bar.append(btn('delete', 'board.delete', () => this.deleteItem(c.id)))
    }
    if (this.opts.stored && this.session) {
      const token = this.opts.stored.token
      const sid = this.session.id
      if (this.isModerator()) {
        if (c.hidden) {
          bar.append(btn('unhide', 'mod.unhide', () => { this.moderate(api.unhide(token, sid, c.id)) }))
        } else {
          const reason = h('input', { type: 'text', class: 'hide-reason', 'data-key': `hide-reason:${c.id}`, 'aria-label': t('mod.hideReason'), placeholder: t('mod.hideReason') })
          bar.append(reason, btn('hide', 'mod.hide', () => {
            this.moderate(api.hide(token, sid, c.id, reason.value.trim() || 'moderation'))
          }))
        }
      } else if (!c.hidden && c.author !== me) {
        const sel = h('select', { 'aria-label': t('report.reason'), 'data-key': `report-reason:${c.id}` },
          ...(['spam', 'offensive', 'personal-data', 'off-topic'] as const).map((r) => h('option', { value: r, text: t(`report.${r}` as Key) })))
        sel.value = this.reportReasons.get(c.id) ?? 'spam'
        sel.addEventListener('change', () => this.reportReasons.set(c.id, sel.value))
        bar.append(sel, btn('report', 'report.button', () => {
          api.report(token, sid, c.id, sel.value).then(() => this.announcer.say(t('report.sent')), (e) => this.announcer.say(t('mod.error', { error: String(e.message ?? e) })))
        }))
      }
    }
    return bar
  }

  // ---- canvas ----

  /**
   * The canvas. Visual: notes and groups positioned, connectors drawn. As a list (the accessible
   * view, and phones): the same items in reading order, each group's notes listed inside it.
   */
  private renderCanvas (): HTMLElement {
    const doc = this.doc
    const items = M.allItems(doc)
    const asList = this.textView()
    const placed = M.readingOrder(items.filter((i) => i.type === 'note' || i.type === 'group'))
    const groups = new Set(placed.filter((i) => i.type === 'group').map((i) => i.id))
    const surface = h('div', { class: `canvas${asList ? ' narrow' : ''}`, id: 'canvas' })
    const list = h('ul', { class: 'notes', 'aria-label': t('canvas.list') })
    if (asList) {
      const li = (n: M.ItemView): HTMLElement => h('li', { class: n.type === 'group' ? 'group-li' : 'note-li' }, this.renderCard(n))
      for (const n of placed.filter((i) => !(i.group && groups.has(i.group)))) {
        const item = li(n)
        const members = n.type === 'group' ? M.membersOf(doc, n.id) : []
        if (members.length) item.append(h('ul', { class: 'notes group-notes', 'aria-label': t('canvas.members', { n: members.length }) }, ...members.map(li)))
        list.append(item)
      }
    } else {
      const width = Math.max(1600, ...placed.map((i) => (i.x ?? 0) + (i.w ?? 160) + 40))
      const height = Math.max(900, ...placed.map((i) => (i.y ?? 0) + (i.h ?? 120) + 40))
      surface.style.width = `${width}px`; surface.style.height = `${height}px`
      const lines = connectorLayer('canvas-connectors', width, height)
      const byId = new Map(placed.map((i) => [i.id, M.boxOf(i)]))
      for (const cn of items.filter((i) => i.type === 'connector')) {
        const a = byId.get(cn.from ?? ''); const b = byId.get(cn.to ?? '')
        if (a && b) addConnectorLine(lines, a, b, cn.directed !== false)
      }
      surface.append(lines)
      for (const n of placed) {
        const card = this.renderCard(n)
        const li = h('li', { class: `${n.type === 'group' ? 'group-li' : 'note-li'}${this.selected === n.id ? ' selected-li' : ''}` }, card)
        const b = M.boxOf(n)
        li.style.left = `${b.x}px`; li.style.top = `${b.y}px`
        li.style.width = `${b.w}px`; li.style.minHeight = `${b.h}px`
        if (this.canEdit()) this.makeDraggable(li, card, n)
        list.append(li)
      }
    }
    if (!placed.length) list.append(h('li', { class: 'empty', text: t('board.empty') }))
    surface.append(list)
    surface.addEventListener('dblclick', (e) => {
      if (e.target !== surface || !this.canEdit()) return
      const r = surface.getBoundingClientRect()
      this.addNote(e.clientX - r.left, e.clientY - r.top)
    })
    return surface
  }

  private makeDraggable (li: HTMLElement, card: HTMLElement, n: M.ItemView): void {
    const handle = h('span', { class: 'resize-handle', 'aria-hidden': 'true' })
    card.append(handle)
    let start: { px: number, py: number, x: number, y: number, w: number, h: number, resize: boolean } | undefined
    li.addEventListener('pointerdown', (e) => {
      const target = e.target as HTMLElement
      if (target.closest('button, input, textarea, select, summary, form') || e.button !== 0) return
      start = { px: e.clientX, py: e.clientY, x: n.x ?? 0, y: n.y ?? 0, w: n.w ?? 160, h: n.h ?? 120, resize: target === handle }
      li.setPointerCapture(e.pointerId)
      this.dragging = true
    })
    li.addEventListener('pointermove', (e) => {
      if (!start) return
      const dx = e.clientX - start.px; const dy = e.clientY - start.py
      if (start.resize) { li.style.width = `${Math.max(80, start.w + dx)}px`; li.style.minHeight = `${Math.max(60, start.h + dy)}px` } else { li.style.left = `${Math.max(0, start.x + dx)}px`; li.style.top = `${Math.max(0, start.y + dy)}px` }
    })
    li.addEventListener('pointercancel', () => { start = undefined; this.dragging = false; this.scheduleRender() })
    li.addEventListener('pointerup', (e) => {
      if (!start) return
      const dx = e.clientX - start.px; const dy = e.clientY - start.py
      const s = start; start = undefined
      this.dragging = false
      if (Math.abs(dx) < 3 && Math.abs(dy) < 3) return
      if (s.resize) M.setGeometry(this.doc, n.id, { w: s.w + dx, h: s.h + dy }); else M.setGeometry(this.doc, n.id, { x: s.x + dx, y: s.y + dy })
    })
  }

  /** The first place, row by row from the visible top left, where a w×h item covers nothing. */
  private nextFreeSpot (w: number, h: number): { x: number, y: number } {
    const taken = M.allItems(this.doc).filter((i) => i.type === 'note' || i.type === 'group').map(M.boxOf)
    const gap = 16
    const x0 = this.boardWrap.scrollLeft + 24; const y0 = this.boardWrap.scrollTop + 24
    for (let k = 0; k < 400; k++) {
      const x = x0 + (k % 8) * 90; const y = y0 + Math.floor(k / 8) * 70
      if (!taken.some((b) => x < b.x + b.w + gap && b.x < x + w + gap && y < b.y + b.h + gap && b.y < y + h + gap)) return { x, y }
    }
    return { x: x0, y: y0 }
  }

  private addNote (x?: number, y?: number): void {
    const spot = x === undefined || y === undefined ? this.nextFreeSpot(160, 120) : { x, y }
    const id = M.addNote(this.doc, this.author(), spot.x, spot.y)
    this.selected = id
    this.startEditing(id)
  }

  private addGroup (): void {
    const spot = this.nextFreeSpot(400, 300)
    const id = M.addGroup(this.doc, this.author(), spot.x, spot.y, 400, 300)
    this.selected = id
    this.startEditing(id)
  }

  private drawBlueprintArrows (): void {
    const wrap = this.boardWrap.querySelector<HTMLElement>('.grid-wrap')
    if (!wrap) return
    wrap.querySelector('svg.connectors')?.remove()
    const base = wrap.getBoundingClientRect()
    const layer = connectorLayer('bp-arrows', wrap.scrollWidth, wrap.scrollHeight)
    const box = (id: string | undefined): DOMRect | undefined => wrap.querySelector(`[data-id="${CSS.escape(id ?? '')}"]`)?.getBoundingClientRect()
    for (const a of M.allItems(this.doc).filter((i) => i.type === 'connector')) {
      const ra = box(a.from); const rb = box(a.to)
      if (!ra || !rb) continue
      addConnectorLine(layer, { x: ra.left - base.left, y: ra.top - base.top, w: ra.width, h: ra.height }, { x: rb.left - base.left, y: rb.top - base.top, w: rb.width, h: rb.height }, a.directed !== false)
    }
    wrap.append(layer)
  }

  // ---- actions ----

  private activate (id: string): void {
    if (this.connectFrom && this.connectFrom !== id) {
      M.addConnector(this.doc, this.author(), this.connectFrom, id)
      this.connectFrom = undefined
      this.el.classList.remove('connecting')
      this.selected = id
      this.scheduleRender()
      return
    }
    this.selected = id
    this.scheduleRender()
  }

  private startConnect (id: string): void {
    this.connectFrom = id
    this.el.classList.add('connecting')
    this.announcer.say(t('arrow.pick'))
  }

  private addCard (lane: string, stage: string): void {
    if (!this.canEdit()) return
    const id = M.addCard(this.doc, this.author(), lane, stage)
    this.selected = id
    this.startEditing(id)
  }

  startEditing (id: string): void {
    if (!this.canEdit()) return
    const ytext = M.itemText(this.doc, id)
    if (!ytext) return
    this.stopEditing(false)
    const it = M.item(this.doc, id)
    const ta = h('textarea', { class: 'card-editor', 'data-key': `editor:${id}`, 'aria-label': t('board.cardText'), rows: 3, lang: it?.language || undefined })
    const unbind = bindTextarea(ytext, ta)
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) { e.preventDefault(); e.stopPropagation(); this.stopEditing(true) }
      e.stopPropagation()
    })
    ta.addEventListener('blur', () => { if (!this.rendering && this.editing?.el === ta) setTimeout(() => { if (this.editing?.el === ta && document.activeElement !== ta) this.stopEditing(false) }, 0) })
    this.editing = { id, el: ta, unbind }
    this.selected = id
    this.conn.provider.awareness.setLocalStateField('editing', id)
    this.renderBoard()
    ta.focus()
    ta.setSelectionRange(ta.value.length, ta.value.length)
  }

  stopEditing (refocus: boolean): void {
    const e = this.editing
    if (!e) return
    this.editing = undefined
    e.unbind()
    this.conn.provider.awareness.setLocalStateField('editing', null)
    this.renderBoard()
    if (refocus) this.focusCard(e.id)
  }

  /** Select an item and bring it into view: on a phone, its stage is the one shown. */
  showItem (id: string): void {
    const it = M.item(this.doc, id)
    if (!it) return
    const si = M.stages(this.doc).findIndex((s) => s.id === it.stage)
    if (si >= 0 && this.narrow.matches) this.stageIndex = si
    this.selected = id
    this.renderBoard()
    this.focusCard(id)
  }

  private focusCard (id: string): void {
    this.boardWrap.querySelector<HTMLElement>(`[data-key="card:${CSS.escape(id)}"]`)?.focus()
  }

  private vote (id: string): void {
    const limit = this.session?.votes_per_participant ?? 5
    if (!M.vote(this.doc, id, this.author().participant, limit)) this.announcer.say(t('vote.none'))
  }

  private deleteItem (id: string): void {
    const cards = [...this.boardWrap.querySelectorAll<HTMLElement>('[data-key^="card:"]')]
    const i = cards.findIndex((c) => c.dataset.id === id)
    const next = cards[i + 1] ?? cards[i - 1]
    M.deleteItem(this.doc, id)
    this.selected = undefined
    this.renderBoard()
    if (next?.dataset.id) this.focusCard(next.dataset.id)
    else this.boardWrap.focus()
  }

  private renameAxis (which: 'stages' | 'lanes', a: M.Axis, shown: string): void {
    const th = this.boardWrap.querySelector<HTMLElement>(`[data-key="rename-${which === 'stages' ? 'stage' : 'lane'}:${CSS.escape(a.id)}"]`)?.closest('th')
    if (!th) return
    const input = h('input', { type: 'text', class: 'rename-input', value: a.title || shown, 'aria-label': t(which === 'stages' ? 'board.renameStage' : 'board.renameLane', { name: shown }) })
    const form = h('form', { class: 'rename-form' }, input, h('button', { type: 'submit', class: 'btn small', text: t('board.save') }))
    const done = (): void => { this.renamePending = false; this.renderBoard(); this.boardWrap.querySelector<HTMLElement>(`[data-key="rename-${which === 'stages' ? 'stage' : 'lane'}:${CSS.escape(a.id)}"]`)?.focus() }
    form.addEventListener('submit', (e) => { e.preventDefault(); this.renamePending = false; M.renameAxis(this.doc, which, a.id, input.value.trim()); done() })
    input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); done() } })
    clear(th); th.append(form)
    input.focus(); input.select()
    // keep this form until it is submitted or cancelled: re-rendering would remove it
    this.renamePending = true
  }

  private renamePending = false
  private presentKey = ''
  /** The server's session message arrived: `you.can_edit` is the server's word, not a stored copy. */
  private sessionHeard = false
  /** Who has which card selected or open, as last drawn: redraw only when it changes. */
  private peersOnCards = ''
  /** A note is being dragged or resized: redraws wait, they would drop the pointer capture. */
  private dragging = false

  /** Move a card one cell: dx = stages, dy = lanes. */
  private moveBy (c: M.ItemView, dx: number, dy: number): void {
    if (!this.canEdit() || c.type !== 'card') return
    const stages = M.stages(this.doc); const lanes = M.lanes(this.doc)
    const si = stages.findIndex((s) => s.id === c.stage) + dx
    const li = lanes.findIndex((l) => l.id === c.lane) + dy
    if (si < 0 || si >= stages.length || li < 0 || li >= lanes.length) return
    M.moveCard(this.doc, c.id, lanes[li].id, stages[si].id)
    if (this.narrow.matches) this.stageIndex = si
    this.selected = c.id
    this.renderBoard()
    this.focusCard(c.id)
    this.announcer.say(`${axisName('lanes', lanes[li])}, ${axisName('stages', stages[si])}`)
  }

  private onCardKey (e: KeyboardEvent, c: M.ItemView): void {
    if (e.target !== e.currentTarget) return
    const edit = this.canEdit() && !c.hidden
    const key = e.key
    if (key === 'Escape' && this.connectFrom) { this.connectFrom = undefined; this.el.classList.remove('connecting'); e.preventDefault(); return }
    if (key === 'Escape' && this.selected) { e.preventDefault(); this.selected = undefined; this.renderBoard(); this.focusCard(c.id); return }
    if ((key === 'Enter' || key === ' ') && this.connectFrom) { e.preventDefault(); this.activate(c.id); return }
    if (key === 'Enter' && edit) { e.preventDefault(); this.startEditing(c.id); return }
    if (key === ' ') { e.preventDefault(); this.activate(c.id); return }
    if (c.type === 'card' && (e.ctrlKey || e.metaKey) && key.startsWith('Arrow') && edit) {
      e.preventDefault()
      const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key]
      if (d) this.moveBy(c, d[0], d[1])
      return
    }
    if (c.type === 'card' && e.altKey && (key === 'ArrowUp' || key === 'ArrowDown') && edit) {
      e.preventDefault()
      const cell = M.cardsIn(this.doc, c.lane!, c.stage!)
      const i = cell.findIndex((x) => x.id === c.id)
      const j = key === 'ArrowUp' ? i - 1 : i + 1
      if (j >= 0 && j < cell.length) { M.moveCard(this.doc, c.id, c.lane!, c.stage!, j); this.renderBoard(); this.focusCard(c.id) }
      return
    }
    if (c.type !== 'card' && e.altKey && key.startsWith('Arrow') && edit) {
      e.preventDefault()
      const step = 20
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[key]!
      if (e.shiftKey) M.setGeometry(this.doc, c.id, { w: (c.w ?? 160) + d[0], h: (c.h ?? 120) + d[1] })
      else M.setGeometry(this.doc, c.id, { x: (c.x ?? 0) + d[0], y: (c.y ?? 0) + d[1] })
      return
    }
    if (key.startsWith('Arrow') && !e.altKey && !e.ctrlKey && !e.metaKey) { e.preventDefault(); this.moveFocus(e.currentTarget as HTMLElement, key); return }
    if (!edit) return
    if (key === 'Delete') { e.preventDefault(); this.deleteItem(c.id) } else if (key === 'v' || key === 'V') { e.preventDefault(); this.vote(c.id) } else if (key === 'c' || key === 'C') {
      e.preventDefault()
      this.selected = c.id
      this.renderBoard()
      this.boardWrap.querySelector<HTMLElement>(`[data-key="comment-input:${CSS.escape(c.id)}"]`)?.focus()
    }
  }

  private onCellKey (e: KeyboardEvent, _lane: string, _stage: string): void {
    if (e.key.startsWith('Arrow') && !e.altKey && !e.ctrlKey) { e.preventDefault(); this.moveFocus(e.currentTarget as HTMLElement, e.key) }
  }

  /** Arrow keys: up/down within a cell (cards then its add button), left/right to the next cell. */
  private moveFocus (from: HTMLElement, key: string): void {
    const td = from.closest('td.cell')
    if (!td) {
      const all = [...this.boardWrap.querySelectorAll<HTMLElement>('.notes li > .card')]
      const i = all.indexOf(from)
      const next = key === 'ArrowDown' || key === 'ArrowRight' ? all[i + 1] : all[i - 1]
      next?.focus()
      return
    }
    const stops = (cell: Element): HTMLElement[] => [...cell.querySelectorAll<HTMLElement>(':scope > ul > li > .card, :scope > .add-card')]
    if (key === 'ArrowUp' || key === 'ArrowDown') {
      const list = stops(td); const i = list.indexOf(from)
      const next = list[key === 'ArrowUp' ? i - 1 : i + 1]
      if (next) { next.focus(); return }
      const row = td.closest('tr')!
      const cells = [...row.querySelectorAll('td.cell')]
      const col = cells.indexOf(td)
      let r: Element | null = row
      do { r = key === 'ArrowUp' ? r.previousElementSibling : r.nextElementSibling } while (r && !r.querySelector('td.cell'))
      const target = r?.querySelectorAll('td.cell')[col]
      if (target) { const l = stops(target); (key === 'ArrowUp' ? l[l.length - 1] : l[0])?.focus() }
      return
    }
    const row = td.closest('tr')!
    const cells = [...row.querySelectorAll('td.cell')]
    const target = cells[cells.indexOf(td) + (key === 'ArrowLeft' ? -1 : 1)]
    if (target) stops(target)[0]?.focus()
  }
}

