//! Erasing a participant (a data-subject request, server/README.md "Erasure") from the moderator
//! console: "Erase…" opens a confirmation in place that offers to erase their text too.

import { api } from './api'
import { h } from '../ui/dom'
import { t } from '../i18n'

/**
 * The "Erase…" button of each participant, which turns into a confirmation (a labelled group with
 * "also erase their text", Erase and Cancel): erasure is irreversible, hence the extra step. The
 * open confirmations are kept here, so that a redraw of the console (someone joins) keeps them.
 */
export class EraseControls {
  /** Participant id -> "also erase their text" ticked, for each open confirmation. */
  private readonly open = new Map<string, boolean>()

  constructor (
    private readonly token: string,
    private readonly sessionId: () => string,
    /** Runs a call and shows its error in the console; undefined when it failed. */
    private readonly run: <T>(p: Promise<T>) => Promise<T | undefined>,
    /** Redraws the console (after opening, closing or erasing). */
    private readonly redraw: (message?: string) => void
  ) {}

  control (pid: string, name: string): HTMLElement {
    if (!this.open.has(pid)) {
      return h('button', {
        type: 'button', class: 'btn small danger', id: `erase-${pid}`, 'data-action': 'erase', 'aria-label': `${t('erase.button')} ${name}`, text: t('erase.button'),
        onclick: () => { this.open.set(pid, false); this.redraw(); document.getElementById(`erase-text-${pid}`)?.focus() }
      })
    }
    const text = h('input', { type: 'checkbox', id: `erase-text-${pid}`, 'data-action': 'erase-text', checked: this.open.get(pid) })
    text.addEventListener('change', () => this.open.set(pid, text.checked))
    const close = (): void => { this.open.delete(pid); this.redraw(); document.getElementById(`erase-${pid}`)?.focus() }
    const confirm = h('button', {
      type: 'button', class: 'btn small danger', 'data-action': 'erase-confirm', text: t('erase.confirm'),
      onclick: async () => {
        confirm.disabled = true
        const r = await this.run(api.erase(this.token, this.sessionId(), pid, text.checked))
        if (!r) { confirm.disabled = false; return }
        this.open.delete(pid)
        this.redraw(t('erase.done', { name }))
      }
    })
    return h('div', { class: 'erase-confirm', role: 'group', 'aria-labelledby': `erase-title-${pid}` },
      h('p', { class: 'erase-title', id: `erase-title-${pid}`, text: t('erase.title', { name }) }),
      h('p', { class: 'hint', text: t('erase.explain') }),
      h('p', {}, text, ' ', h('label', { for: `erase-text-${pid}`, text: t('erase.text') })),
      h('p', { class: 'erase-buttons' }, confirm, ' ',
        h('button', { type: 'button', class: 'btn small', 'data-action': 'erase-cancel', onclick: close, text: t('erase.cancel') })))
  }
}
