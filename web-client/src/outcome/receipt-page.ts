//! The receipt page (`#receipt=<id>`): what one person contributed to a session (cards, comments,
//! votes) and what became of each card, in their language, without a token (it works months
//! later); the receipt again to keep, and the questionnaire.

import { ApiError } from '../api/client'
import { outcomeApi } from './api'
import { h, clear } from '../ui/dom'
import { t, type Key } from '../i18n'
import { receiptSections, type Contribution, type Receipt } from './decisions'
import { publicPage, cardOutcome, statusBadge, decidedOn, PublicAnswer } from './public-page'
import { receiptPanel } from './receipt'
import { evaluationForm } from './evaluation'
import { errorText } from '../ui/error-text'

/** The receipt last asked for, in its owner's language the first time. */
const shown = new PublicAnswer<Receipt>()

/**
 * The receipt page for one receipt id; it fills in once the server has answered, in the language
 * its owner joined in (it is often opened on another device, months later).
 */
export function renderReceiptPage (receipt: string, rerender: () => void): HTMLElement {
  const content = h('div', { class: 'receipt-page' }, h('h1', { text: t('receipt.pageTitle') }), h('p', { role: 'status', text: t('outcome.loading') }))
  shown.get(receipt, () => outcomeApi.receipt(receipt), (r) => r.language, rerender).then((r) => {
    if (!r) return
    clear(content)
    content.append(...receiptContent(receipt, r))
    document.title = `${t('receipt.pageTitle')}: ${r.session.title} · cocreate`
  }, (e) => {
    clear(content)
    content.append(h('h1', { text: t('receipt.pageTitle') }),
      h('p', { class: 'error', role: 'alert', text: e instanceof ApiError && e.status === 404 ? t('receipt.notFound') : t('error.generic', { error: errorText(e) }) }))
  })
  return publicPage(content, rerender)
}

/** A line whose card was carried into another session of the process gets what became of it there. */
function followed (c: Contribution, line: HTMLElement): HTMLElement {
  const on = c.carried
  if (!on) return line
  line.append(h('div', { class: 'outcome-onward', 'data-session': on.session },
    h('p', { class: 'outcome-status' }, `${t('receipt.carried', { title: on.title })} `, statusBadge(on.status), ' ', decidedOn(on.decided_at)),
    on.explanation ? h('p', { class: 'outcome-explanation', text: on.explanation }) : null))
  return line
}

function receiptContent (receipt: string, r: Receipt): HTMLElement[] {
  const { cards, comments, votes } = receiptSections(r)
  const section = (key: Key, id: string, list: Contribution[], item: (c: Contribution) => HTMLElement): HTMLElement =>
    h('section', { class: 'receipt-section', 'aria-labelledby': id },
      h('h2', { id, text: t(key, { n: list.length }) }),
      list.length ? h('ul', { class: 'outcome-list', id: `${id}-list` }, ...list.map(item)) : h('p', { class: 'hint', text: t('receipt.none') }))
  return [
    h('h1', { text: t('receipt.pageTitle') }),
    h('p', { class: 'receipt-session', id: 'receipt-session', 'data-state': r.session.state },
      t('receipt.session', { title: r.session.title, state: t(`state.${r.session.state}` as Key) })),
    h('p', { class: 'hint', text: t('receipt.private') }),
    section('receipt.cards', 'receipt-cards', cards, (c) => followed(c, cardOutcome(c))),
    section('receipt.comments', 'receipt-comments', comments, (c) => followed(c, cardOutcome(c, t('receipt.onCard')))),
    section('receipt.votes', 'receipt-votes', votes, (c) => followed(c, cardOutcome(c, c.votes ? t('receipt.yourVotes', { n: c.votes }) : undefined))),
    receiptPanel({ receipt }, r.session.title, 'h2') ?? h('div'),
    evaluationForm(receipt, r.evaluation)
  ]
}
