//! The public results of a session (`#results=<session id>`), once a moderator published them:
//! the figures, then the cards grouped by status with their explanations. No names: results
//! show what was said and decided, not who said it.

import { ApiError } from '../api/client'
import { outcomeApi } from './api'
import { h, clear } from '../ui/dom'
import { t, type Key } from '../i18n'
import { readResults, type Results } from './decisions'
import { publicPage, cardOutcome, PublicAnswer } from './public-page'
import { errorText } from '../ui/error-text'

/** The results last asked for, in the session's language the first time. */
const shown = new PublicAnswer<unknown>()

/** The results page of one session; it fills in once the server has answered. */
export function renderResultsPage (sessionId: string, rerender: () => void): HTMLElement {
  const content = h('div', { class: 'results-page' }, h('h1', { text: t('results.pageTitle') }), h('p', { role: 'status', text: t('outcome.loading') }))
  shown.get(sessionId, () => outcomeApi.results(sessionId), (raw) => readResults(raw).session.language, rerender).then((raw) => {
    if (raw === undefined) return
    const r = readResults(raw)
    clear(content)
    content.append(...resultsContent(r))
    document.title = `${t('results.title', { title: r.session.title })} · cocreate`
  }, (e) => {
    clear(content)
    content.append(h('h1', { text: t('results.pageTitle') }),
      h('p', { class: 'error', role: 'alert', text: e instanceof ApiError && e.status === 404 ? t('results.notPublished') : t('error.generic', { error: errorText(e) }) }))
  })
  return publicPage(content, rerender)
}

function resultsContent (r: Results): HTMLElement[] {
  const carded = new Set(r.groups.flatMap((g) => g.cards.map((c) => c.item)))
  const loose = r.comments.filter((c) => !c.on || !carded.has(c.on))
  /** A card's line with the comments on it, under its status. */
  const withComments = (li: HTMLElement, item: string): HTMLElement => {
    const on = r.comments.filter((c) => c.on === item)
    if (on.length) li.append(h('ul', { class: 'outcome-comments' }, ...on.map((c) => h('li', { text: `${t('results.comment')} ${c.text}` }))))
    return li
  }
  const figure = (key: Key, n: number, id: string): HTMLElement =>
    h('li', { id }, h('span', { class: 'figure', text: String(n) }), ' ', t(key, { n }))
  return [
    h('h1', { text: t('results.title', { title: r.session.title }) }),
    h('ul', { class: 'figures', id: 'results-counts', 'aria-label': t('results.figures') },
      figure('results.contributions', r.counts.contributions, 'count-contributions'),
      figure('results.decided', r.counts.decided, 'count-decided'),
      figure('results.accepted', r.counts.accepted, 'count-accepted')),
    ...r.groups.map((g) => {
      const id = `results-${g.status ?? 'none'}`
      return h('section', { class: 'results-group', 'data-status': g.status ?? 'none', 'aria-labelledby': id },
        h('h2', { id, text: t('results.group', { status: t(g.status ? `decision.${g.status}` as Key : 'decision.none'), n: g.cards.length }) }),
        h('ul', { class: 'outcome-list' }, ...g.cards.map((c) => withComments(cardOutcome(c), c.item))))
    }),
    // comments whose card the answer does not name: their words, with no status of their own
    loose.length
      ? h('section', { class: 'results-comments', id: 'results-comments', 'aria-labelledby': 'results-comments-title' },
        h('h2', { id: 'results-comments-title', text: t('results.comments', { n: loose.length }) }),
        h('ul', { class: 'outcome-list' }, ...loose.map((c) => h('li', { class: 'outcome-card' }, h('p', { class: 'outcome-text', text: c.text || t('board.cardEmpty') })))))
      : null,
    r.groups.length ? null : h('p', { class: 'hint', text: t('results.empty') })
  ].filter((x): x is HTMLElement => x !== null)
}
