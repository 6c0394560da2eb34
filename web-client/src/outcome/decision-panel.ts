//! The moderator console's decisions (issue 20): per card a status and a public explanation,
//! saved with `PUT …/items/{item}/decision` (also after the session closed), and publishing the
//! results. Its element outlives the console's redraws, so a half-written explanation stays. Each
//! card shows its stage and votes; the list sorts and filters (outcome/decision-order.ts).

import { outcomeApi } from './api'
import { h } from '../ui/dom'
import { t, lang, type Key } from '../i18n'
import { STATUSES, EXPLANATION_MAX, isStatus, type Decision } from './decisions'
import { statusBadge, decidedOn } from './public-page'
import type { ConsolePart } from '../session/moderator'
import { OutcomeFigures } from './figures'
import { errorText } from '../ui/error-text'
import { ApiError } from '../api/client'
import { arrange, ALL_CARDS, SORTS, type DecidableCard, type DecisionView } from './decision-order'

/** One card's line: its name, stage and votes, its saved decision, and the form; `shown` is what the form last showed. */
interface Row { li: HTMLLIElement, name: HTMLElement, meta: HTMLElement, current: HTMLElement, status: HTMLSelectElement, explanation: HTMLTextAreaElement, shown?: Decision }

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
  /** How the moderator sorts and filters the list (kept over redraws and languages). */
  private view: DecisionView = ALL_CARDS
  /** Sort and filter, above the list; the stage filter's options follow the board's stages. */
  private readonly controls = h('div', { class: 'decision-view' })
  private stageSelect?: HTMLSelectElement
  /** Said (politely, to screen readers too) when the filter leaves no card. */
  private readonly noneShown = h('p', { class: 'hint', role: 'status', id: 'decisions-none-shown' })

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
    this.details.replaceChildren(this.summary, this.publishRow, this.publishAnswer, this.figures.el, this.controls, this.noneShown, this.list, this.status)
    this.buildControls()
    this.renderPublish()
    this.el.replaceChildren(h('h3', { id: 'decisions-heading', text: t('decisions.heading') }), this.details)
  }

  /** The sort and the status filter; the stage filter is filled by `renderStages`. */
  private buildControls (): void {
    const select = (id: string, label: Key, options: [string, string][], value: string, set: (v: string) => void): HTMLSelectElement => {
      const el = h('select', { id }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value, text })))
      el.addEventListener('change', () => { set(el.value); this.render(true) })
      this.controls.append(h('div', { class: 'field' }, h('label', { for: id, text: t(label) }), el))
      return el
    }
    this.controls.replaceChildren()
    select('decisions-sort', 'decisions.sort', SORTS.map((s) => [s, t(`decisions.sort.${s}` as Key)]), this.view.sort,
      (v) => { const sort = SORTS.find((s) => s === v); if (sort) this.view = { ...this.view, sort } })
    select('decisions-filter', 'decisions.show', [['all', t('decisions.show.all')], ['undecided', t('decisions.show.undecided')], ...STATUSES.map((s): [string, string] => [s, t(`decision.${s}` as Key)])], this.view.status,
      (v) => { if (v === 'all' || v === 'undecided' || isStatus(v)) this.view = { ...this.view, status: v } })
    this.stageSelect = select('decisions-stage', 'decisions.stage', [], this.view.stage, (v) => { this.view = { ...this.view, stage: v } })
  }

  /** The stage filter's options: every stage a card is in, in the board's order; hidden without stages. */
  private renderStages (cards: DecidableCard[]): void {
    const sel = this.stageSelect
    if (!sel) return
    const stages = [...new Set(cards.map((c) => c.stage).filter(Boolean))]
    const field = sel.parentElement!
    field.hidden = stages.length === 0
    const want = ['', ...stages]
    if (this.view.stage && !stages.includes(this.view.stage)) this.view = { ...this.view, stage: '' }
    if ([...sel.options].map((o) => o.value).join('\n') === want.join('\n')) return
    sel.replaceChildren(...want.map((v) => h('option', { value: v, selected: v === this.view.stage, text: v || t('decisions.stage.all') })))
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

  /**
   * Rows for the board's cards: new ones added, gone ones removed, kept rows keep what is typed;
   * the ones the filter leaves out hidden, the rest in the chosen order. A vote does not move the
   * row the moderator is writing in (moving it would take their focus): `reorder` (the sort or
   * filter just changed) does.
   */
  render (reorder = false): void {
    if (this.lang !== lang()) this.build()
    const cards = this.cards()
    this.summary.textContent = t('decisions.title', { n: cards.filter((c) => this.decisions.has(c.id)).length, total: cards.length })
    if (!this.details.open && !this.loaded) return
    this.renderStages(cards)
    const ids = new Set(cards.map((c) => c.id))
    for (const [id, row] of this.rows) if (!ids.has(id)) { row.li.remove(); this.rows.delete(id) }
    for (const c of cards) {
      const row = this.rows.get(c.id) ?? this.newRow(c.id)
      if (row.name.textContent !== c.name) row.name.textContent = c.name
      const meta = [c.stage, c.votes === null ? '' : t('vote.count', { n: c.votes })].filter(Boolean).join(' · ')
      if (row.meta.textContent !== meta) row.meta.textContent = meta
      this.showDecision(row, this.decisions.get(c.id))
    }
    const shown = arrange(cards, (id) => this.decisions.get(id)?.status, this.view, STATUSES)
    const visible = new Set(shown.map((c) => c.id))
    const writing = this.list.contains(document.activeElement)
    // a row just decided on stays in sight while the moderator is in it, whatever the filter
    for (const [id, row] of this.rows) row.li.hidden = !visible.has(id) && !(writing && !reorder && row.li.contains(document.activeElement))
    this.noneShown.textContent = shown.length === 0 && cards.length > 0 ? t('decisions.noneShown') : ''
    const inOrder = shown.every((c, i) => this.list.children[i] === this.rows.get(c.id)!.li)
    if (inOrder || (writing && !reorder)) {
      for (const c of cards) { const li = this.rows.get(c.id)!.li; if (li.parentNode !== this.list) this.list.append(li) }
      return
    }
    // the shown rows first, in order; the hidden ones after them
    this.list.append(...shown.map((c) => this.rows.get(c.id)!.li), ...cards.filter((c) => !visible.has(c.id)).map((c) => this.rows.get(c.id)!.li))
  }

  private newRow (id: string): Row {
    const sid = `decision-status-${id}`
    const eid = `decision-explanation-${id}`
    const name = h('p', { class: 'decision-card', id: `decision-card-${id}` })
    const meta = h('p', { class: 'decision-meta' })
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
    const li = h('li', { 'data-item': id }, name, meta, current, form)
    const row: Row = { li, name, meta, current, status, explanation }
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
