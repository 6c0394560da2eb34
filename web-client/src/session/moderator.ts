//! The moderator console: session state (lock, unlock, close), phase, timer, dot-votes, the join
//! code as text and QR code, participants (kick, remove contributions, erase), reported items and
//! the audit log; parts owned elsewhere (the decisions: outcome/decision-panel.ts) drawn in it.

import { api } from './api'
import type { Schema } from '../api/client'
import type { Session } from '../sync/connection'
import { h, clear, download } from '../ui/dom'
import { t, type Key } from '../i18n'
import type { Announcer } from '../ui/announcer'
import { EraseControls } from './erase'
import { qrDataUrl } from '../ui/qr'
import { errorText } from '../ui/error-text'
import { auditSentence, whenText } from './audit-text'

type Participant = Schema<'Participant'>
type AuditEntry = Schema<'AuditEntry'>

/** The join link (and QR code): the code, and the session's language, which the join page opens in. */
export function joinUrl (code: string, language?: string): string {
  return `${location.origin}/#code=${encodeURIComponent(code)}${language ? `&lang=${encodeURIComponent(language)}` : ''}`
}

/** ABC2345 -> ABC-2345, easier to read aloud and to type. */
export const formatCode = (code: string): string => code.length === 7 ? `${code.slice(0, 3)}-${code.slice(3)}` : code

/** What the console needs from the board it sits next to. */
export interface BoardView {
  /** Participant ids of everyone connected now (from presence). */
  online: () => Set<string>
  /** An item's name for lists: its text, never hidden text. */
  itemName: (id: string) => string
  /** Select an item on the board and move focus to it. */
  showItem: (id: string) => void
}

/** A part of the console that another folder owns: drawn in place, refreshed with the console. */
export interface ConsolePart {
  readonly el: HTMLElement
  refresh: () => Promise<void>
  render: () => void
}

/**
 * How long after the session the server's invite participants are created: in the same request,
 * but after storage writes, which a busy server can make slow. Nobody opens an invite that fast
 * and also names themselves after their role.
 */
const INVITE_CREATED_WITHIN_MS = 10_000

/**
 * The server lists the participant of each invite link among the participants, whether or not
 * anyone ever used the link. It has no field saying so: they are the ones created with the
 * session, named after their role ("Citizen").
 */
export const isInviteLink = (p: Participant, s: Session): boolean =>
  p.joined_at !== undefined && p.joined_at - s.created_at < INVITE_CREATED_WITHIN_MS &&
  (p.display_name ?? '').toLowerCase() === (p.role ?? '')

/** The longest phase the server takes (openapi.json: `phase`, at most 40 characters). */
const PHASE_MAX = 40

export class ModeratorConsole {
  readonly el = h('section', { class: 'moderator', 'aria-labelledby': 'mod-title', id: 'moderator' })
  private participants: Participant[] = []
  private reported: [string, Schema<'ItemModeration'>][] = []
  private refreshes = 0
  private audit: AuditEntry[] | undefined
  private joinCode?: string
  private confirmClose = false
  private status = h('p', { class: 'mod-status', role: 'status' })
  /**
   * Each control's last answer ("Done.", or what went wrong), shown next to it: kept here because
   * the console is redrawn, written into its element at once.
   */
  private readonly answers = new Map<string, string>()
  private readonly erase: EraseControls

  constructor (
    private readonly token: string,
    private readonly session: () => Session,
    private readonly onSession: (s: Session) => void,
    private readonly announcer: Announcer,
    private readonly board: BoardView,
    private readonly parts: ConsolePart[] = []
  ) {
    this.erase = new EraseControls(token, () => this.session().id, (p) => this.run(p), (message) => {
      if (!message) { this.render(); return }
      this.refresh().then(() => { this.status.textContent = message })
    })
    this.refresh()
  }

  /** Runs a call; its answer shows next to the control `at` (else at the console's end). */
  private async run<T> (p: Promise<T>, at?: string): Promise<T | undefined> {
    try {
      const r = await p
      this.answer(at, t('mod.done'))
      return r
    } catch (e) {
      const msg = t('mod.error', { error: errorText(e) })
      this.answer(at, msg)
      this.announcer.say(msg)
      return undefined
    }
  }

  private answer (at: string | undefined, text: string): void {
    if (!at) { this.status.textContent = text; return }
    this.answers.set(at, text)
    const el = this.el.querySelector(`[data-answer="${at}"]`)
    if (el) el.textContent = text
  }

  /** Where a control's answer shows: right after it, announced politely. */
  private answerEl (at: string): HTMLElement {
    return h('p', { class: 'mod-answer', role: 'status', 'data-answer': at, id: `mod-answer-${at}`, text: this.answers.get(at) ?? '' })
  }

  async refresh (): Promise<void> {
    const s = this.session()
    // refreshes overlap (presence changes, buttons): only the latest request's answer is shown
    const seq = ++this.refreshes
    const r = await this.run(api.session(this.token, s.id))
    if (!r || seq !== this.refreshes) return
    this.joinCode = r.join_code ?? this.joinCode
    this.participants = Array.isArray(r.participants) ? r.participants : []
    // reviewed: hidden by a moderator (unhiding clears the reports); waiting: reported, or hidden by reports
    this.reported = Object.entries(r.moderation?.items ?? {}).filter(([, m]) => m.hidden ? m.hidden.pending_review : (m.reports?.length ?? 0) > 0)
    if (this.audit) await this.loadAudit()
    await Promise.all(this.parts.map((p) => p.refresh()))
    this.render()
  }

  /** A new join code (e.g. after a kick, so the person cannot simply join again): the old one stops working. */
  private async rotateJoinCode (): Promise<void> {
    const r = await this.run(api.rotateJoinCode(this.token, this.session().id), 'code')
    if (!r) return
    this.joinCode = r.join_code
    this.onSession({ ...this.session(), join_code: r.join_code })
    this.announcer.say(t('mod.newCodeDone', { code: formatCode(r.join_code) }))
  }

  private async act (p: Promise<{ session: Session } | undefined>, at?: string): Promise<void> {
    const r = await this.run(p, at)
    if (r && r.session) this.onSession(r.session)
  }

  render (): void {
    const s = this.session()
    const code = s.join_code ?? this.joinCode
    // keep what the moderator is typing when the console is redrawn under them
    const active = document.activeElement as HTMLInputElement | null
    const typing = active && this.el.contains(active) && active.id ? { id: active.id, value: active.value, tag: active.tagName } : undefined
    clear(this.el)
    this.el.append(h('h2', { id: 'mod-title', text: t('mod.title') }))
    this.el.append(h('p', { id: 'mod-state', 'data-state': s.state, text: t('mod.state', { state: t(`state.${s.state}` as Key) }) }))
    const row = h('div', { class: 'btn-row' })
    if (s.state === 'open') row.append(h('button', { type: 'button', class: 'btn', id: 'mod-lock', onclick: () => this.act(api.action(this.token, s.id, 'lock'), 'state'), text: t('mod.lock') }))
    if (s.state === 'locked') row.append(h('button', { type: 'button', class: 'btn', id: 'mod-unlock', onclick: () => this.act(api.action(this.token, s.id, 'unlock'), 'state'), text: t('mod.unlock') }))
    if (s.state !== 'closed') {
      row.append(h('button', {
        type: 'button', class: 'btn danger', id: 'mod-close',
        onclick: () => {
          if (!this.confirmClose) { this.confirmClose = true; this.answer('state', t('mod.closeConfirm')); return }
          this.confirmClose = false
          this.act(api.action(this.token, s.id, 'close'), 'state')
        },
        text: t('mod.close')
      }))
    }
    this.el.append(row, this.answerEl('state'))

    // the server takes a phase of at most PHASE_MAX characters: the field says so before it refuses
    const phase = h('input', { type: 'text', id: 'mod-phase', value: s.phase ?? '', maxlength: PHASE_MAX, 'aria-describedby': 'mod-answer-phase' })
    const phaseForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-phase', text: t('mod.phase') }), phase, h('button', { type: 'submit', class: 'btn', text: t('mod.setPhase') }), this.answerEl('phase'))
    phaseForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const value = phase.value.trim()
      if (value.length > PHASE_MAX) { this.answer('phase', t('mod.phaseTooLong', { n: PHASE_MAX })); phase.focus(); return }
      this.act(api.patch(this.token, s.id, { phase: value }), 'phase')
    })

    const minutes = h('input', { type: 'number', id: 'mod-timer', min: 1, max: 240, value: 10 })
    const timerForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-timer', text: t('mod.timer') }), minutes,
      h('button', { type: 'submit', class: 'btn', text: t('mod.startTimer') }),
      s.timer_ends_at ? h('button', { type: 'button', class: 'btn', onclick: () => this.act(api.patch(this.token, s.id, { timer_ends_at: null }), 'timer'), text: t('mod.stopTimer') }) : null,
      this.answerEl('timer'))
    timerForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const m = Math.max(1, Math.min(240, Number(minutes.value) || 10))
      this.act(api.patch(this.token, s.id, { timer_ends_at: Date.now() + m * 60_000 }), 'timer')
    })

    const votes = h('input', { type: 'number', id: 'mod-votes', min: 0, max: 100, value: s.votes_per_participant ?? 5 })
    const votesForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-votes', text: t('mod.votes') }), votes, h('button', { type: 'submit', class: 'btn', text: t('mod.setVotes') }), this.answerEl('votes'))
    votesForm.addEventListener('submit', (e) => {
      e.preventDefault()
      this.act(api.patch(this.token, s.id, { votes_per_participant: Math.max(0, Math.min(100, Math.round(Number(votes.value) || 0))) }), 'votes')
    })
    // while an agenda step is current it sets the phase and the timer (the facilitator's controls)
    if (s.step) this.el.append(h('p', { class: 'hint', id: 'mod-phase-by-step', text: t('facil.phaseByStep') }), votesForm)
    else this.el.append(phaseForm, timerForm, votesForm)

    if (code) {
      this.el.append(h('div', { class: 'join-code' },
        h('h3', { text: t('mod.joinCode') }),
        h('p', { class: 'code', id: 'mod-join-code', 'data-code': code, text: formatCode(code) }),
        h('p', { class: 'join-url', id: 'mod-join-url', text: joinUrl(code, s.language) }),
        h('img', { class: 'qr', id: 'mod-qr', src: qrDataUrl(joinUrl(code, s.language)), alt: t('mod.qr'), width: 160, height: 160 }),
        h('button', { type: 'button', class: 'btn small', id: 'mod-new-code', onclick: () => this.rotateJoinCode(), text: t('mod.newCode') }), this.answerEl('code')))
    }
    // paper and board in one workshop: the board as prepared, to print for the community hall
    this.el.append(h('div', { class: 'paper-kit' },
      h('h3', { text: t('mod.paperKit') }),
      h('p', { class: 'hint', text: t('mod.paperKitHint') }),
      ...(['a4', 'a3'] as const).map((paper) => h('button', {
        type: 'button', class: 'btn small', id: `mod-kit-${paper}`, text: t('mod.paperKitDownload', { paper: paper.toUpperCase() }),
        onclick: async () => {
          const pdf = await this.run(api.paperKit(this.token, s.id, paper), 'kit')
          if (pdf) download(`cocreate-kit-${s.id}-${paper}.pdf`, pdf)
        }
      })),
      this.answerEl('kit')))

    this.el.append(h('h3', { text: t('mod.participants') }), this.renderPeople(s),
      h('button', { type: 'button', class: 'btn small', id: 'mod-refresh', onclick: () => this.refresh(), text: t('mod.refresh') }))
    this.el.append(h('h3', { text: t('mod.reports') }), this.renderReports())
    for (const p of this.parts) { p.render(); this.el.append(p.el) }
    this.el.append(h('h3', { text: t('mod.audit') }),
      h('button', { type: 'button', class: 'btn small', id: 'mod-audit-load', onclick: async () => { await this.loadAudit(); this.render() }, text: t('mod.audit') }))
    if (this.audit) this.el.append(this.renderAudit())
    this.el.append(this.status)
    if (typing) {
      const el = this.el.querySelector<HTMLInputElement>(`#${CSS.escape(typing.id)}`)
      if (el) { if (typing.tag === 'INPUT') el.value = typing.value; el.focus() }
    }
  }

  /** Everyone who joined, online ones marked; invite links last, marked as such. */
  private renderPeople (s: Session): HTMLElement {
    const online = this.board.online()
    const people = h('ul', { class: 'mod-people', id: 'mod-people' })
    const sorted = [...this.participants].sort((a, b) => Number(isInviteLink(a, s)) - Number(isInviteLink(b, s)))
    for (const p of sorted) {
      const pid = p.id
      const name = personName(p)
      const invite = isInviteLink(p, s)
      // an invite link's participant is the link: revoking it is kicking that participant
      const tags = [invite ? t('mod.inviteLink') : name, t(`role.${p.role ?? 'citizen'}` as Key), online.has(pid) ? t('mod.online') : ''].filter(Boolean)
      people.append(h('li', { 'data-participant': pid, 'data-invite': invite ? 'true' : undefined, class: invite ? 'invite-link' : undefined },
        h('span', { text: `${tags.join(' · ')}${p.kicked ? ' ✕' : ''}` }),
        p.role !== 'moderator' && !p.kicked ? h('button', { type: 'button', class: 'btn small', 'data-action': 'kick', onclick: async () => { await this.run(api.kick(this.token, s.id, pid)); this.refresh() }, text: t(invite ? 'mod.revokeInvite' : 'mod.kick') }) : null,
        p.role !== 'moderator' && !invite ? h('button', { type: 'button', class: 'btn small', 'data-action': 'remove', onclick: async () => { await this.run(api.removeContributions(this.token, s.id, pid)); this.refresh() }, text: t('mod.removeContributions') }) : null,
        p.role !== 'moderator' && !invite ? this.erase.control(pid, name) : null))
    }
    return people
  }

  /** Items participants reported, with their reasons; those hidden by reports await review. */
  private renderReports (): HTMLElement {
    if (!this.reported.length) return h('p', { class: 'hint', id: 'mod-reports', text: t('mod.reportsNone') })
    return h('ul', { class: 'mod-reports', id: 'mod-reports' }, ...this.reported.map(([id, m]) => {
      const reasons = [...new Set((m.reports ?? []).map((r) => t(`report.${r.reason}` as Key)))].join(', ')
      // hidden by reports: its text is out of the board, but moderators review it (the server gives it to them)
      const text = m.hidden?.text ?? this.board.itemName(id)
      return h('li', { 'data-item': id },
        h('span', { text: t('mod.reportLine', { text, n: m.reports?.length ?? 0, reasons }) }),
        m.hidden?.pending_review ? h('span', { class: 'pending', text: ` · ${t('mod.pendingReview')}` }) : null,
        h('button', { type: 'button', class: 'btn small', 'data-action': 'show', onclick: () => this.board.showItem(id), text: t('mod.showCard') }))
    }))
  }

  private async loadAudit (): Promise<void> {
    const r = await this.run(api.audit(this.token, this.session().id))
    if (r) this.audit = r.entries
  }

  /** The newest 50 moderation actions, newest first, in words. */
  private renderAudit (): HTMLElement {
    const entries = this.audit ?? []
    if (!entries.length) return h('p', { class: 'hint', id: 'mod-audit', text: t('mod.auditEmpty') })
    return h('ol', { class: 'audit', id: 'mod-audit' }, ...entries.slice(-50).reverse().map((a) =>
      h('li', { 'data-action': a.action, text: `${whenText(a.at)} ${a.by === 'timer' ? t('audit.byTimer') : a.by_name || a.by}: ${this.auditText(a)}` })))
  }

  private auditText (a: AuditEntry): string {
    return auditSentence(a.action, a.target, a.reason, (id) => {
      const person = this.participants.find((p) => p.id === id)
      return person ? personName(person) : this.board.itemName(id)
    })
  }
}

/** A participant's name; an erased participant has none left. */
const personName = (p: Participant): string => p.display_name || t('erase.nameless')
