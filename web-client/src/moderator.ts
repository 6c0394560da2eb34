//! The moderator console: session state (lock, unlock, close), phase, timer, dot-votes, the join
//! code as text and QR code, participants (kick, remove contributions) and the audit log.

import qrcode from 'qrcode-generator'
import { api, type Participant, type AuditEntry } from './api'
import type { Session } from './connection'
import { h, clear } from './dom'
import { t, type Key } from './i18n'
import type { Announcer } from './announcer'
import { EraseControls } from './erase'

export function joinUrl (code: string): string {
  return `${location.origin}/#code=${encodeURIComponent(code)}`
}

/** A QR code as a data: URL (allowed by the CSP's img-src). */
export function qrDataUrl (text: string): string {
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  return qr.createDataURL(6, 8)
}

/** ABC2345 -> ABC-2345, easier to read aloud and to type. */
export const formatCode = (code: string): string => code.length === 7 ? `${code.slice(0, 3)}-${code.slice(3)}` : code

export class ModeratorConsole {
  readonly el = h('section', { class: 'moderator', 'aria-labelledby': 'mod-title', id: 'moderator' })
  private participants: Participant[] = []
  private audit: AuditEntry[] | undefined
  private joinCode?: string
  private confirmClose = false
  private status = h('p', { class: 'mod-status', role: 'status' })
  private readonly erase: EraseControls

  constructor (
    private readonly token: string,
    private readonly session: () => Session,
    private readonly onSession: (s: Session) => void,
    private readonly announcer: Announcer
  ) {
    this.erase = new EraseControls(token, () => this.session().id, (p) => this.run(p), (message) => {
      if (!message) { this.render(); return }
      this.refresh().then(() => { this.status.textContent = message })
    })
    this.refresh()
  }

  private async run<T> (p: Promise<T>): Promise<T | undefined> {
    try {
      const r = await p
      this.status.textContent = t('mod.done')
      return r
    } catch (e) {
      const msg = t('mod.error', { error: (e as Error).message ?? String(e) })
      this.status.textContent = msg
      this.announcer.say(msg)
      return undefined
    }
  }

  async refresh (): Promise<void> {
    const s = this.session()
    const r = await this.run(api.session(this.token, s.id))
    if (!r) return
    this.joinCode = r.join_code ?? this.joinCode
    this.participants = Array.isArray(r.participants) ? r.participants : []
    this.render()
  }

  private async act (p: Promise<{ session: Session } | undefined>): Promise<void> {
    const r = await this.run(p)
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
    if (s.state === 'open') row.append(h('button', { type: 'button', class: 'btn', id: 'mod-lock', onclick: () => this.act(api.action(this.token, s.id, 'lock')), text: t('mod.lock') }))
    if (s.state === 'locked') row.append(h('button', { type: 'button', class: 'btn', id: 'mod-unlock', onclick: () => this.act(api.action(this.token, s.id, 'unlock')), text: t('mod.unlock') }))
    if (s.state !== 'closed') {
      row.append(h('button', {
        type: 'button', class: 'btn danger', id: 'mod-close',
        onclick: () => {
          if (!this.confirmClose) { this.confirmClose = true; this.status.textContent = t('mod.closeConfirm'); return }
          this.confirmClose = false
          this.act(api.action(this.token, s.id, 'close'))
        },
        text: t('mod.close')
      }))
    }
    this.el.append(row)

    const phase = h('input', { type: 'text', id: 'mod-phase', value: s.phase ?? '', maxlength: 60 })
    const phaseForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-phase', text: t('mod.phase') }), phase, h('button', { type: 'submit', class: 'btn', text: t('mod.setPhase') }))
    phaseForm.addEventListener('submit', (e) => { e.preventDefault(); this.act(api.patch(this.token, s.id, { phase: phase.value.trim() })) })

    const minutes = h('input', { type: 'number', id: 'mod-timer', min: 1, max: 240, value: 10 })
    const timerForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-timer', text: t('mod.timer') }), minutes,
      h('button', { type: 'submit', class: 'btn', text: t('mod.startTimer') }),
      s.timer_ends_at ? h('button', { type: 'button', class: 'btn', onclick: () => this.act(api.patch(this.token, s.id, { timer_ends_at: null })), text: t('mod.stopTimer') }) : null)
    timerForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const m = Math.max(1, Math.min(240, Number(minutes.value) || 10))
      this.act(api.patch(this.token, s.id, { timer_ends_at: Date.now() + m * 60_000 }))
    })

    const votes = h('input', { type: 'number', id: 'mod-votes', min: 0, max: 100, value: s.votes_per_participant ?? 5 })
    const votesForm = h('form', { class: 'mod-form' }, h('label', { for: 'mod-votes', text: t('mod.votes') }), votes, h('button', { type: 'submit', class: 'btn', text: t('mod.setVotes') }))
    votesForm.addEventListener('submit', (e) => {
      e.preventDefault()
      this.act(api.patch(this.token, s.id, { votes_per_participant: Math.max(0, Math.min(100, Math.round(Number(votes.value) || 0))) }))
    })
    this.el.append(phaseForm, timerForm, votesForm)

    if (code) {
      this.el.append(h('div', { class: 'join-code' },
        h('h3', { text: t('mod.joinCode') }),
        h('p', { class: 'code', id: 'mod-join-code', 'data-code': code, text: formatCode(code) }),
        h('p', { class: 'join-url', text: joinUrl(code) }),
        h('img', { class: 'qr', id: 'mod-qr', src: qrDataUrl(joinUrl(code)), alt: t('mod.qr'), width: 160, height: 160 })))
    }

    const people = h('ul', { class: 'mod-people', id: 'mod-people' })
    for (const p of this.participants) {
      const pid = p.participant_id ?? p.id ?? ''
      const name = p.display_name || p.name || t('erase.nameless')
      people.append(h('li', { 'data-participant': pid },
        h('span', { text: `${name} · ${t(`role.${p.role ?? 'citizen'}` as Key)}${p.kicked ? ' ✕' : ''}` }),
        p.role !== 'moderator' && !p.kicked ? h('button', { type: 'button', class: 'btn small', 'data-action': 'kick', onclick: async () => { await this.run(api.kick(this.token, s.id, pid)); this.refresh() }, text: t('mod.kick') }) : null,
        p.role !== 'moderator' ? h('button', { type: 'button', class: 'btn small', 'data-action': 'remove', onclick: async () => { await this.run(api.removeContributions(this.token, s.id, pid)); this.refresh() }, text: t('mod.removeContributions') }) : null,
        p.role !== 'moderator' ? this.erase.control(pid, name) : null))
    }
    this.el.append(h('h3', { text: t('mod.participants') }), people,
      h('button', { type: 'button', class: 'btn small', onclick: () => this.refresh(), text: t('mod.refresh') }))

    const auditBtn = h('button', { type: 'button', class: 'btn small', id: 'mod-audit-load', onclick: async () => { const r = await this.run(api.audit(this.token, s.id)); if (r) { this.audit = r.entries; this.render() } }, text: t('mod.audit') })
    this.el.append(h('h3', { text: t('mod.audit') }), auditBtn)
    if (this.audit) {
      this.el.append(h('ol', { class: 'audit', id: 'mod-audit' }, ...this.audit.slice(-50).reverse().map((a) =>
        h('li', { text: `${new Date(a.at).toLocaleTimeString()} ${a.by_name || a.by}: ${a.action}${a.target ? ` ${a.target}` : ''}${a.reason ? ` (${a.reason})` : ''}` }))))
    }
    this.el.append(this.status)
    if (typing) {
      const el = this.el.querySelector<HTMLInputElement>(`#${CSS.escape(typing.id)}`)
      if (el) { if (typing.tag === 'INPUT') el.value = typing.value; el.focus() }
    }
  }
}
