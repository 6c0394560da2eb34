//! "Bring everyone here" on a participant's screen (issue 27, part 6): when a moderator points
//! at a zone (a stage, a lane, the canvas), the board scrolls to it and marks it, and a bar under
//! the step banner says where and offers "Stay where I am". Keyboard focus is never moved. A
//! participant who joins while it is set is brought there too; one who left it stays left.

import { h } from '../ui/dom'
import { t } from '../i18n'
import type { Focus } from './api'

/** What the page lends: the zone's elements on the board now, its name, and showing it (a phone's stage). */
export interface FocusBoard {
  elements: (zone: string) => HTMLElement[]
  name: (zone: string) => string
  reveal: (zone: string) => void
}

const key = (f: Focus | null | undefined): string => f ? `${f.zone}@${f.at}` : ''

/** The zone everyone was brought to, as this participant follows it. */
export class ZoneFocus {
  /** The bar under the step banner; empty and hidden when there is nothing to follow. */
  readonly el = h('div', { class: 'zone-focus', id: 'zone-focus', hidden: true })
  private readonly text = h('p', { role: 'status' })
  private readonly leaveBtn = h('button', { type: 'button', class: 'btn small', id: 'focus-leave', onclick: () => this.leave() })
  /** The focus followed now (set, and not left). */
  private current?: Focus
  /** The focus this participant left: the same one heard again does not bring them back. */
  private left = ''
  /** The focus already scrolled to: a redraw marks the zone again without scrolling. */
  private scrolled = ''
  private marked: HTMLElement[] = []

  constructor (private readonly board: FocusBoard) {
    this.el.append(this.text, this.leaveBtn)
  }

  /** The session's focus as heard now (also after a language change: the bar is worded again). */
  follow (focus: Focus | null): void {
    if (key(focus) !== key(this.current)) {
      this.unmark()
      this.current = focus && key(focus) !== this.left ? focus : undefined
    }
    const zone = this.current?.zone
    this.el.hidden = !zone
    const text = zone ? t('focus.here', { zone: this.board.name(zone) }) : ''
    if (this.text.textContent !== text) this.text.textContent = text
    if (this.leaveBtn.textContent !== t('focus.leave')) this.leaveBtn.textContent = t('focus.leave')
    this.mark()
  }

  /** Marks the zone (again, after the board redrew it) and scrolls to it the first time. */
  mark (): void {
    const focus = this.current
    if (!focus) return
    const first = this.scrolled !== key(focus)
    if (first) this.board.reveal(focus.zone)
    const els = this.board.elements(focus.zone)
    if (!els.length) return // not drawn yet (a late joiner's board): the next redraw marks it
    for (const el of els) if (!el.classList.contains('in-focus')) el.classList.add('in-focus')
    this.marked = els
    if (!first) return
    this.scrolled = key(focus)
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches
    // once the page around the board is drawn (the header, toolbar and notes are redrawn with the session)
    requestAnimationFrame(() => els[0].isConnected && els[0].scrollIntoView({ block: 'center', inline: 'center', behavior: smooth ? 'smooth' : 'auto' }))
  }

  /** "Stay where I am": the mark and the bar go; the next focus brings them again. */
  leave (): void {
    // the button pressed goes away: keyboard focus goes to the board's title, not to the page's start
    if (document.activeElement === this.leaveBtn) document.getElementById('board-title')?.focus()
    this.left = key(this.current)
    this.current = undefined
    this.unmark()
    this.el.hidden = true
    this.text.textContent = ''
  }

  private unmark (): void {
    for (const el of this.marked) el.classList.remove('in-focus')
    this.marked = []
  }
}
