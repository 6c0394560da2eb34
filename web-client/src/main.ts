//! Entry point: picks the page from the URL fragment (tokens and codes stay in the fragment, so
//! they never reach a server log) and mounts it.
//!   #code=ABC2345          join page with the code filled in
//!   #invite=<token>        join page for an invite link
//!   #s=<session id>        the board of a session this browser joined (token in localStorage)
//!   #s=<id>&view=replay    the replay of that session (a researcher's only view: researchers
//!                          are not admitted to the live room, server/README.md "WebSocket")
//!   #room=<name>&template=<t>  a development room (server started with --open-rooms)
//!   #receipt=<id>          a participant's receipt: what became of their input (no token)
//!   #results=<session id>  a session's published results (no token)

import './styles.css'
import { initialLang, setLang, t } from './i18n'
import { loadSession, sessionLang } from './session/api'
import { renderJoin } from './session/join'
import { BoardPage } from './app/board-page'
import { ReplayPage } from './research/replay'
import { TEMPLATES, type Template } from './board/model'
import { h } from './ui/dom'
import { renderReceiptPage } from './outcome/receipt-page'
import { renderResultsPage } from './outcome/results-page'
import { leftNotice } from './outcome/receipt'
import type { StoredSession } from './session/api'

const root = document.getElementById('app')!
let board: BoardPage | ReplayPage | undefined
/** The session just left (its token and copy already forgotten): the join page says so once. */
let left: StoredSession | undefined
/** Just joined: focus goes to the board's heading (not the page's body, where the join button was). */
let joined = false
/** Why the board is being opened again (the server refused an edit): the new board says so once. */
let resetNotice: string | undefined

function params (): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''))
}

function mount (): void {
  board?.destroy()
  board = undefined
  root.replaceChildren()
  const p = params()
  const sid = p.get('s')
  const room = p.get('room')
  const receipt = p.get('receipt')
  const results = p.get('results')
  if (receipt) {
    document.title = `${t('receipt.pageTitle')} · cocreate`
    root.append(renderReceiptPage(receipt, mount))
    return
  }
  if (results) {
    document.title = `${t('results.pageTitle')} · cocreate`
    root.append(renderResultsPage(results, mount))
    return
  }
  if (sid) {
    const stored = loadSession(sid)
    // a session's pages are in the person's language for it, else the session's (not the device's)
    const l = stored && sessionLang(stored)
    if (l) setLang(l)
    if (stored && (p.get('view') === 'replay' || stored.role === 'researcher')) {
      const onLive = stored.role === 'researcher' ? undefined : () => { location.hash = `s=${encodeURIComponent(sid)}` }
      board = new ReplayPage({ stored, onLive })
      root.append(board.el)
      document.title = `${t('replay.title', { title: stored.session.title })} · cocreate`
      if (joined) document.getElementById('replay-title')?.focus()
      joined = false
      return
    }
    if (stored) {
      const notice = resetNotice
      resetNotice = undefined
      board = new BoardPage({ stored, notice, onLeave: () => { left = stored; location.hash = '' }, onReset: (n) => { resetNotice = n; mount() } })
      root.append(board.el)
      document.title = `${stored.session.title} · cocreate`
      if (joined || notice) document.getElementById('board-title')?.focus()
      joined = false
      return
    }
    root.append(h('p', { class: 'banner', role: 'alert', text: t('notFound') }))
  } else if (room) {
    const tpl = p.get('template')
    const template: Template = TEMPLATES.includes(tpl as Template) ? tpl as Template : 'journey-map'
    board = new BoardPage({ devRoom: { room, template }, onLeave: () => { location.hash = '' } })
    root.append(board.el)
    document.title = `${room} · cocreate`
    return
  }
  root.append(renderJoin({
    code: p.get('code') ?? undefined,
    invite: p.get('invite') ?? undefined,
    lang: p.get('lang') ?? undefined,
    onJoined: (s) => { joined = true; location.hash = `s=${encodeURIComponent(s.session.id)}` },
    rerender: mount,
    notice: left && leftNotice(left)
  }))
  document.title = `${t('join.title')} · cocreate` // in the language the join page took
  if (left) document.getElementById('left-title')?.focus()
  left = undefined
}

setLang(initialLang())
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  // the app shell for offline reloads; failure only means no offline reload
  navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('cocreate: no offline shell', err))
}
window.addEventListener('hashchange', mount)
// someone uses a keyboard here: the keyboard help shows, also on a small screen
document.addEventListener('keydown', (e) => { if (e.key === 'Tab') document.documentElement.classList.add('kbd-used') })
mount()
