//! Who is on the board (Yjs awareness): the list of people in the side bar, their pointers, and
//! what each has selected or is editing, which shows on those items only. Pointer moves arrive
//! many times a second; they move a cursor and nothing else.

import type { Awareness } from 'y-protocols/awareness'
import { h, clear } from '../ui/dom'
import { t, lang, type Key } from '../i18n'
import { CursorLayer } from './cursors'
import type { PeerOnItem } from './store'

/** One connected client's presence, read defensively (another client wrote it). */
export interface PeerState {
  clientId: number
  name: string
  role: string
  participant: string
  color: string
  cursor?: { x: number, y: number }
  selection?: string
  editing?: string
}

export interface PresenceHooks {
  /** This person as the session knows them (their own state is not echoed by the server). */
  me: () => { name?: string, role: string, session: boolean }
  /** The canvas' zoom: pointers are kept in board pixels. */
  zoom: () => number
  /** Others' selection and editing per item, whenever it may have changed. */
  onItems: (on: Map<string, PeerOnItem[]>) => void
  /** Someone joined or left. */
  onWhoChanged: () => void
}

export class Presence {
  readonly el = h('section', { class: 'presence', 'aria-labelledby': 'presence-title' })
  readonly cursors = new CursorLayer()
  /** The list as last drawn: redrawn only when names, roles or editing change. */
  private listKey = ''
  /** The participants present, as last seen. */
  private who = ''

  constructor (private readonly awareness: Awareness, private readonly myClient: number, private readonly hooks: PresenceHooks) {
    awareness.on('change', () => this.changed())
  }

  peers (): PeerState[] {
    const out: PeerState[] = []
    this.awareness.getStates().forEach((st, clientId) => {
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

  /** The others who have an item selected or open in an editor. */
  othersOn (id: string): PeerState[] {
    return this.peers().filter((p) => p.clientId !== this.myClient && (p.editing === id || p.selection === id))
  }

  private changed (): void {
    const peers = this.peers()
    this.renderCursors(peers)
    this.render(false, peers)
    const on = new Map<string, PeerOnItem[]>()
    for (const p of peers) {
      if (p.clientId === this.myClient) continue
      for (const id of new Set([p.selection, p.editing])) {
        if (!id) continue
        const list = on.get(id) ?? []
        list.push({ name: p.name, color: p.color, editing: p.editing === id })
        on.set(id, list)
      }
    }
    this.hooks.onItems(on)
    const who = [...new Set(peers.map((p) => p.participant))].sort().join(',')
    if (who !== this.who) { this.who = who; this.hooks.onWhoChanged() }
  }

  /** The list of people (`force`: also when unchanged, e.g. after the language changed). */
  render (force: boolean, peers = this.peers()): void {
    const me = this.hooks.me()
    const seen = new Map<string, PeerState & { me: boolean }>()
    for (const p of peers) {
      const key = me.session || p.participant !== String(p.clientId) ? p.participant : String(p.clientId)
      const prev = seen.get(key)
      // my own state is not echoed through the server, so its name and role come from the session
      const mine = p.clientId === this.myClient ? { name: me.name ?? p.name, role: me.role } : {}
      if (!prev || p.clientId === this.myClient) seen.set(key, { ...p, ...mine, me: p.clientId === this.myClient || prev?.me === true })
    }
    const list = [...seen.values()].sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name))
    const key = JSON.stringify([lang(), list.map((p) => [p.participant, p.name, p.role, p.color, p.me, !!p.editing])])
    if (!force && key === this.listKey) return
    this.listKey = key
    clear(this.el)
    this.el.append(
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

  /** Others' pointers, at this person's zoom. */
  renderCursors (peers = this.peers()): void {
    const z = this.hooks.zoom()
    this.cursors.update(peers.flatMap((p) => p.clientId !== this.myClient && p.cursor && typeof p.cursor.x === 'number' && typeof p.cursor.y === 'number'
      ? [{ clientId: p.clientId, name: p.name, color: p.color, x: p.cursor.x * z, y: p.cursor.y * z }]
      : []))
  }

  destroy (): void { this.cursors.destroy() }
}
