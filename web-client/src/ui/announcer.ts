//! Polite, throttled announcements for screen readers: remote changes are batched so that a busy
//! board does not talk over the user (one message at most every THROTTLE_MS); each also shows for
//! a while as a toast, for those who do not hear it.

import { h } from './dom'
import { t } from '../i18n'

/** Long enough that a screen reader finishes one short sentence before the next. */
export const THROTTLE_MS = 2500
/** How long a message stays on screen: long enough to read two short sentences. */
export const TOAST_MS = 6000

/** A message, or a function that words it when it is spoken (so that it says the latest state). */
export type Message = string | (() => string)

export class Announcer {
  readonly el = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', id: 'announcer' })
  /** The same message for the eyes, for a while (hidden from screen readers, which heard it above). */
  readonly toast = h('div', { class: 'toast', id: 'toast', 'aria-hidden': 'true', hidden: true })
  private toastTimer: ReturnType<typeof setTimeout> | undefined
  private queue: { message: Message, key?: string, toast: boolean }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private last = 0

  /**
   * Queue a message. With a `key`, a message with the same key already waiting stands for both:
   * someone typing a card's text is one message, not one per keystroke. Without `toast`, it is
   * not shown (what the page already shows, such as the connection's status).
   */
  say (message: Message, key?: string, toast = true): void {
    if (key === undefined || !this.queue.some((q) => q.key === key)) this.queue.push({ message, key, toast })
    if (this.timer) return
    const wait = Math.max(0, this.last + THROTTLE_MS - Date.now())
    this.timer = setTimeout(() => this.flush(), Math.max(wait, 300))
  }

  private flush (): void {
    this.timer = undefined
    if (!this.queue.length) return
    const words = (q: { message: Message }): string => typeof q.message === 'string' ? q.message : q.message()
    const text = this.queue.length > 3 ? t('announce.many', { n: this.queue.length }) : this.queue.map(words).join('. ')
    const shown = this.queue.filter((q) => q.toast)
    const toast = shown.length > 3 ? t('announce.many', { n: shown.length }) : shown.map(words).join('. ')
    this.queue = []
    this.last = Date.now()
    // change the content so that it is announced even when equal to the last message
    this.el.textContent = ''
    this.el.textContent = text
    if (!toast) return
    this.toast.textContent = toast
    this.toast.hidden = false
    if (this.toastTimer) clearTimeout(this.toastTimer)
    this.toastTimer = setTimeout(() => { this.toast.hidden = true }, TOAST_MS)
  }

  destroy (): void { if (this.timer) clearTimeout(this.timer); if (this.toastTimer) clearTimeout(this.toastTimer) }
}
