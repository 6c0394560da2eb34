//! "Undo" after a deletion (issue 27, part 3): a deleted card can be brought back for a while.
//! One offer at a time, in a live region that says what was deleted, with the button that undoes it.

import { h } from '../ui/dom'
import { t } from '../i18n'

/** How long a deletion can be undone: long enough to notice a slip and reach the button. */
export const UNDO_MS = 10_000

/** The one offer to undo the last deletion, shown above the board (one per page). */
export class UndoBar {
  /** Empty (and not shown) until a deletion; polite, so that it does not interrupt. */
  readonly el = h('div', { class: 'undo-bar', id: 'undo-bar', role: 'status' })
  private timer: ReturnType<typeof setTimeout> | undefined

  /** Offer to undo what was just deleted (`what` says it) until the next deletion or UNDO_MS. */
  offer (what: string, undo: () => void): void {
    clearTimeout(this.timer)
    const button = h('button', { type: 'button', class: 'btn small', id: 'undo-delete', text: t('undo.button'), onclick: () => { this.close(); undo() } })
    this.el.replaceChildren(h('span', { text: what }), ' ', button)
    this.timer = setTimeout(() => this.close(), UNDO_MS)
  }

  /** The offer is over: nothing shows. */
  close (): void {
    clearTimeout(this.timer)
    this.el.replaceChildren()
  }
}
