//! Polite, throttled announcements for screen readers: remote changes are batched so that a busy
//! board does not talk over the user (one message at most every THROTTLE_MS).

import { h } from './dom'
import { t } from '../i18n'

/** Long enough that a screen reader finishes one short sentence before the next. */
export const THROTTLE_MS = 2500

/** A message, or a function that words it when it is spoken (so that it says the latest state). */
export type Message = string | (() => string)

export class Announcer {
  readonly el = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true', id: 'announcer' })
  private queue: { message: Message, key?: string }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private last = 0

  /**
   * Queue a message. With a `key`, a message with the same key already waiting stands for both:
   * someone typing a card's text is one message, not one per keystroke.
   */
  say (message: Message, key?: string): void {
    if (key === undefined || !this.queue.some((q) => q.key === key)) this.queue.push({ message, key })
    if (this.timer) return
    const wait = Math.max(0, this.last + THROTTLE_MS - Date.now())
    this.timer = setTimeout(() => this.flush(), Math.max(wait, 300))
  }

  private flush (): void {
    this.timer = undefined
    if (!this.queue.length) return
    const text = this.queue.length > 3
      ? t('announce.many', { n: this.queue.length })
      : this.queue.map((q) => typeof q.message === 'string' ? q.message : q.message()).join('. ')
    this.queue = []
    this.last = Date.now()
    // change the content so that it is announced even when equal to the last message
    this.el.textContent = ''
    this.el.textContent = text
  }

  destroy (): void { if (this.timer) clearTimeout(this.timer) }
}
