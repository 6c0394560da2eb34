//! Others' pointers on the board, with their names. The name sits above the pointer's tip, not
//! below it where the text being pointed at is, and fades out once the pointer rests for
//! IDLE_MS; it comes back when that person moves again.

import { h } from '../ui/dom'

/** Long enough to read a name while someone points, short enough not to hide a card for long. */
export const IDLE_MS = 1500

export interface RemoteCursor { clientId: number, name: string, color: string, x: number, y: number }

export class CursorLayer {
  readonly el = h('div', { class: 'cursor-layer', 'aria-hidden': 'true' })
  private readonly shown = new Map<number, { el: HTMLElement, label: HTMLElement, x: number, y: number, moved: number }>()
  private timer: ReturnType<typeof setTimeout> | undefined

  /** Show exactly these cursors; a cursor that moved shows its name again. */
  update (cursors: RemoteCursor[]): void {
    const now = Date.now()
    const present = new Set<number>()
    for (const c of cursors) {
      present.add(c.clientId)
      let s = this.shown.get(c.clientId)
      if (!s) {
        const label = h('span', { class: 'cursor-name' })
        s = { el: h('div', { class: 'cursor' }, label), label, x: NaN, y: NaN, moved: now }
        this.shown.set(c.clientId, s)
        this.el.append(s.el)
      }
      if (s.x !== c.x || s.y !== c.y) {
        s.x = c.x; s.y = c.y; s.moved = now
        s.el.style.left = `${c.x}px`; s.el.style.top = `${c.y}px`
      }
      s.label.textContent = c.name
      s.label.style.background = c.color
      s.el.style.borderColor = c.color
    }
    for (const [id, s] of this.shown) if (!present.has(id)) { s.el.remove(); this.shown.delete(id) }
    this.markIdle()
  }

  private markIdle (): void {
    clearTimeout(this.timer)
    const now = Date.now()
    let next = Infinity
    for (const s of this.shown.values()) {
      const idle = now - s.moved >= IDLE_MS
      s.el.classList.toggle('idle', idle)
      if (!idle) next = Math.min(next, s.moved + IDLE_MS - now)
    }
    if (next < Infinity) this.timer = setTimeout(() => this.markIdle(), next)
  }

  destroy (): void { clearTimeout(this.timer) }
}
