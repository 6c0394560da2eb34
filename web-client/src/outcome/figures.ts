//! The figures officials read in the moderator console (issue 20, "Evaluation"): how much of
//! what people said has a decision, how long they waited for it, and what the questionnaire
//! says, from `GET /api/sessions/{id}/metrics` (`outcomes`, `evaluation`). Numbers and
//! durations are formatted by the browser's Intl, in the console's language.

import type { Schema } from '../api/client'
import { outcomeApi } from './api'
import { h } from '../ui/dom'
import { t, lang, type Key } from '../i18n'
import { EVALUATION_QUESTIONS } from './decisions'
import { errorText } from '../ui/error-text'

/** What the metrics answer holds about outcomes and the questionnaire (server/README.md). */
export type OutcomeMetrics = Pick<Schema<'Participation'>, 'outcomes' | 'evaluation'>

/** A duration in the largest unit that keeps it above one (minutes, hours or days), in words. */
export function duration (seconds: number, locale: string): string {
  const [value, unit] = seconds >= 86400 ? [seconds / 86400, 'day'] : seconds >= 3600 ? [seconds / 3600, 'hour'] : [Math.max(seconds / 60, 1), 'minute']
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }).format(value)
}

/** The figures as elements: a sentence on decisions, one on waiting, a table of the statements. */
export function figuresView (m: OutcomeMetrics, locale: string): HTMLElement[] {
  // what became of citizens' input is the question: officials' own cards (an example, say) are
  // left out when the server counts by role
  const citizens = m.outcomes.by_role?.citizen
  const o = citizens ?? m.outcomes
  const percent = new Intl.NumberFormat(locale, { style: 'percent' })
  const share = percent.format(o.decided_share ?? 0)
  const mean = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })
  const out: HTMLElement[] = [
    h('p', { id: 'figures-decided', text: t(citizens ? 'figures.decidedCitizens' : 'figures.decided', { decided: o.decided, contributions: o.contributions, share }) })
  ]
  if (o.median_seconds_to_first_decision !== null) {
    out.push(h('p', { id: 'figures-wait', text: t('figures.wait', { time: duration(o.median_seconds_to_first_decision, locale) }) }))
  }
  const e = m.evaluation
  if (e.withheld) {
    // k-anonymity: below the minimum, no figure that could show one person's answers.
    out.push(h('p', { id: 'figures-responses', text: t('figures.withheld', { n: e.responses, min: e.minimum_responses }) }))
    return out
  }
  out.push(h('p', { id: 'figures-responses', text: t('figures.responses', { n: e.responses, comments: e.comments }) }))
  if (e.responses > 0) {
    out.push(h('table', { class: 'figures-table', id: 'figures-statements' },
      h('caption', { class: 'visually-hidden', text: t('figures.heading') }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('figures.statement') }),
        h('th', { scope: 'col', text: t('figures.mean') }),
        h('th', { scope: 'col', text: t('figures.answered') }))),
      h('tbody', {}, ...EVALUATION_QUESTIONS.map((q) => {
        const s = e.statements[q]
        return h('tr', { 'data-question': q },
          h('th', { scope: 'row', text: t(`eval.${q}` as Key) }),
          h('td', { text: s.mean === null ? '–' : mean.format(s.mean) }),
          h('td', { text: String(s.answered) }))
      }))))
  }
  return out
}

/** The console's figures block: loaded when asked for (the decisions panel opens or refreshes). */
export class OutcomeFigures {
  readonly el = h('div', { class: 'outcome-figures', id: 'outcome-figures' })

  constructor (private readonly token: string, private readonly sessionId: () => string) {}

  async load (): Promise<void> {
    try {
      const m = await outcomeApi.figures(this.token, this.sessionId())
      this.el.replaceChildren(h('h4', { text: t('figures.heading') }), ...figuresView(m, lang()))
    } catch (e) {
      this.el.replaceChildren(h('p', { class: 'error', text: t('mod.error', { error: errorText(e) }) }))
    }
  }
}
