//! The moderator console's decisions (issue 20): per card a status and a public explanation,
//! saved with `PUT …/items/{item}/decision` (also after the session closed), and publishing the
//! results. Its element outlives the console's redraws, so a half-written explanation stays.

import { outcomeApi } from './api'
import { h } from '../ui/dom'
import { t, lang, type Key } from '../i18n'
import { STATUSES, EXPLANATION_MAX, isStatus, type Decision } from './decisions'
import { statusBadge, decidedOn } from './public-page'
import type { ConsolePart } from '../session/moderator'
import { OutcomeFigures } from './figures'
import { errorText } from '../ui/error-text'
import { ApiError } from '../api/client'

/** A card the moderator can decide on, as the board names it. */
export interface DecidableCard { id: string, name: string }

/** One card's line: its name, its saved decision, and the form; `shown` is what the form last showed. */
interface Row { li: HTMLLIElement, name: HTMLElement, current: HTMLElement, status: HTMLSelectElement, explanation: HTMLTextAreaElement, shown?: Decision }

export class DecisionPanel implements ConsolePart {
  readonly el = h('section', { 'aria-labelledby': 'decisions-heading' })
  private readonly details = h('details', { class: 'decisions', id: 'decisions' })
  private readonly summary = h('summary')
  private readonly list = h('ul', { class: 'decision-list', id: 'decision-list' })
  private readonly status = h('p', { class: 'decisions-status', role: 'status', id: 'decisions-status' })
  private readonly rows = new Map<string, Row>()
  private readonly figures: OutcomeFigures
  private decisions = new Map<string, Decision>()
  private loaded = false
  /** The language the panel's labels are in: another one rebuilds it. */
  private lang = ''
  /** Whether the results are published (the results page answers), unknown until asked. */
  private published: boolean | undefined
  private readonly publishRow = h('div', { class: 'btn-row publish-row' })
  /** What publishing last answered, next to its button. */
  private readonly publishAnswer = h('p', { class: 'mod-answer', role: 'status', id: 'results-answer' })

  constructor (
    private readonly token: string,
    private readonly sessionId: () => string,
    /** The board's cards and notes, oldest first. */
    private readonly cards: () => DecidableCard[]
  ) {
    this.figures = new OutcomeFigures(token, sessionId)
    this.details.addEventListener('toggle', () => { if (this.details.open) void this.load() })
    this.build()
  }

  /** The panel in the UI language, its card rows drawn anew by the next render. */
  private build (): void {
    this.lang = lang()
    this.rows.clear()
    this.list.replaceChildren()
    this.details.replaceChildren(this.summary, this.publishRow, this.publishAnswer, this.figures.el, this.list, this.status)
    this.renderPublish()
    this.el.replaceChildren(h('h3', { id: 'decisions-heading', text: t('decisions.heading') }), this.details)
  }

  /** Reloads the decisions (when open) and brings the list up to date with the board. */
  async refresh (): Promise<void> {
    if (this.details.open || this.loaded) await this.load()
    else this.render()
  }

  private async load (): Promise<void> {
    try {
      void this.figures.load()
      void this.loadPublished()
      const r = await outcomeApi.decisions(this.token, this.sessionId())
      this.decisions = new Map((r?.decisions ?? []).map((d) => [d.item, d]))
      this.loaded = true
    } catch (e) {
      this.status.textContent = t('mod.error', { error: errorText(e) })
    }
    this.render()
  }

  /** Rows for the board's cards: new ones added, gone ones removed, kept rows keep what is typed. */
  render (): void {
    if (this.lang !== lang()) this.build()
    const cards = this.cards()
    this.summary.textContent = t('decisions.title', { n: cards.filter((c) => this.decisions.has(c.id)).length, total: cards.length })
    if (!this.details.open && !this.loaded) return
    const ids = new Set(cards.map((c) => c.id))
    for (const [id, row] of this.rows) if (!ids.has(id)) { row.li.remove(); this.rows.delete(id) }
    for (const c of cards) {
      const row = this.rows.get(c.id) ?? this.newRow(c.id)
      if (row.name.textContent !== c.name) row.name.textContent = c.name
      this.showDecision(row, this.decisions.get(c.id))
      if (row.li.parentNode !== this.list) this.list.append(row.li)
    }
  }

  private newRow (id: string): Row {
    const sid = `decision-status-${id}`
    const eid = `decision-explanation-${id}`
    const name = h('p', { class: 'decision-card', id: `decision-card-${id}` })
    const status = h('select', { id: sid, 'aria-describedby': name.id },
      h('option', { value: '', text: t('decisions.choose') }),
      ...STATUSES.map((s) => h('option', { value: s, text: t(`decision.${s}` as Key) })))
    const explanation = h('textarea', { id: eid, rows: 2, maxlength: EXPLANATION_MAX, 'aria-describedby': name.id })
    const current = h('p', { class: 'decision-current' })
    const save = h('button', { type: 'submit', class: 'btn small', 'data-action': 'decide', text: t('decisions.save') })
    const said = h('p', { class: 'mod-answer', role: 'status', 'data-answer': `decision-${id}` })
    const form = h('form', { class: 'decision-form' },
      h('label', { for: sid, text: t('decisions.status') }), status,
      h('label', { for: eid, text: t('decisions.explanation') }), explanation, save, said)
    const li = h('li', { 'data-item': id }, name, current, form)
    const row: Row = { li, name, current, status, explanation }
    form.addEventListener('submit', async (e) => {
      e.preventDefault()
      if (!isStatus(status.value)) { said.textContent = t('decisions.needStatus'); status.focus(); return }
      save.disabled = true
      try {
        const r = await outcomeApi.decide(this.token, this.sessionId(), id, { status: status.value, explanation: explanation.value.trim() })
        if (r?.decision) { this.decisions.set(id, r.decision); this.fill(row, r.decision) }
        this.render()
        void this.figures.load()
        said.textContent = t('decisions.saved', { card: name.textContent ?? '' })
      } catch (err) {
        said.textContent = t('mod.error', { error: errorText(err) })
      } finally {
        save.disabled = false
      }
    })
    this.rows.set(id, row)
    return row
  }

  /**
   * The saved decision above the form; into the form too, unless the moderator changed the form
   * since it last showed a decision (they are writing a new one).
   */
  private showDecision (row: Row, d: Decision | undefined): void {
    row.current.replaceChildren(statusBadge(d?.status), ' ', decidedOn(d?.decided_at) ?? '')
    row.li.dataset.status = d?.status ?? 'none'
    const dirty = row.status.value !== (row.shown?.status ?? '') || row.explanation.value !== (row.shown?.explanation ?? '')
    if (!d || dirty) return
    this.fill(row, d)
  }

  private fill (row: Row, d: Decision): void {
    row.status.value = d.status
    row.explanation.value = d.explanation ?? ''
    row.shown = d
  }

  /** Whether the results are published: the public results page answers, or says they are not. */
  private async loadPublished (): Promise<void> {
    try {
      await outcomeApi.results(this.sessionId())
      this.published = true
    } catch (e) {
      if (e instanceof ApiError && e.code === 'results_not_published') this.published = false
    }
    this.renderPublish()
  }

  /** The one of Publish and Unpublish that applies, and the results page's link. */
  private renderPublish (): void {
    const url = `${location.origin}/#results=${encodeURIComponent(this.sessionId())}`
    const on = this.published !== true
    const publish = async (): Promise<void> => {
      try {
        await outcomeApi.publish(this.token, this.sessionId(), on)
        this.published = on
        this.renderPublish()
        this.publishAnswer.textContent = t(on ? 'decisions.published' : 'decisions.unpublished')
        document.getElementById(on ? 'results-unpublish' : 'results-publish')?.focus()
      } catch (e) {
        this.publishAnswer.textContent = t('mod.error', { error: errorText(e) })
      }
    }
    this.publishRow.replaceChildren(
      h('button', { type: 'button', class: 'btn small', id: on ? 'results-publish' : 'results-unpublish', onclick: publish, text: t(on ? 'decisions.publish' : 'decisions.unpublish') }),
      h('a', { id: 'results-link', href: url, text: t('decisions.resultsPage') }))
  }
}
