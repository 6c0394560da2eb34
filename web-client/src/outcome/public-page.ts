//! The frame of the pages anyone may open without a token (a receipt, published results): the
//! app's name, a language choice that redraws the page, and one main region.

import { h } from '../ui/dom'
import { t, lang, setLang, chooseLang, LANGUAGES, LANGUAGE_NAMES, isLang, type Key } from '../i18n'
import { STATUSES, type Status } from './decisions'

/** A page with a header (home link, language) around `content`; `rerender` draws it again. */
export function publicPage (content: HTMLElement, rerender: () => void): HTMLElement {
  const langSel = h('select', { id: 'page-lang', 'aria-label': t('lang.label') },
    ...LANGUAGES.map((l) => h('option', { value: l, lang: l, selected: l === lang(), text: LANGUAGE_NAMES[l] })))
  langSel.addEventListener('change', () => {
    if (!isLang(langSel.value)) return
    chooseLang(langSel.value)
    rerender()
    document.getElementById('page-lang')?.focus()
  })
  return h('div', { class: 'public-page' },
    h('header', { class: 'topbar' }, h('a', { class: 'app-link', href: '#', text: t('app.name') }), langSel),
    h('main', { id: 'main', class: 'public-main' }, content))
}

/**
 * A public page's answer from the server, asked once per id: a redraw (another language) uses it
 * again, and the page takes the session's language the first time only (then the visitor's
 * choice stands). Such pages are opened from a link, often on a device in another language.
 */
export class PublicAnswer<T> {
  private shown?: { id: string, answer: Promise<T>, languageTaken: boolean }

  /**
   * The answer for `id`; undefined when the page just switched to the session's language
   * (`languageOf` the answer) and `rerender` draws it again.
   */
  async get (id: string, ask: () => Promise<T>, languageOf: (answer: T) => unknown, rerender: () => void): Promise<T | undefined> {
    if (this.shown?.id !== id) this.shown = { id, answer: ask(), languageTaken: false }
    const current = this.shown
    const r = await current.answer
    if (!current.languageTaken) {
      current.languageTaken = true
      const l = languageOf(r)
      if (isLang(l) && l !== lang()) { setLang(l); rerender(); return undefined }
    }
    return r
  }
}

/** A decision's status in words (colour only adds to them); no status yet is said too. */
export function statusBadge (status: Status | null | undefined): HTMLElement {
  const s = status && (STATUSES as readonly string[]).includes(status) ? status : null
  return h('span', { class: 'status-badge', 'data-status': s ?? 'none', text: t(s ? `decision.${s}` as Key : 'decision.none') })
}

/** "Decided on 3 March 2027": when a decision was last set, in the page's language. */
export function decidedOn (at: number | null | undefined): HTMLElement | null {
  if (!at) return null
  return h('span', { class: 'decided-at', text: t('outcome.decidedOn', { date: new Date(at).toLocaleDateString(lang(), { dateStyle: 'long' }) }) })
}

/**
 * One card with its decision: its text (in its own words), the status, the explanation; `note`
 * says how the status relates to the line (a comment's card, the votes given to it).
 */
export function cardOutcome (c: { text: string, status?: Status | null, explanation?: string | null, decided_at?: number | null }, note?: string): HTMLElement {
  return h('li', { class: 'outcome-card' },
    h('p', { class: 'outcome-text', text: c.text || t('board.cardEmpty') }),
    h('p', { class: 'outcome-status' }, note ? `${note} ` : null, statusBadge(c.status), ' ', decidedOn(c.decided_at)),
    c.explanation ? h('p', { class: 'outcome-explanation', text: c.explanation }) : null)
}
