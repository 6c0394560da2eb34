//! The short, optional questionnaire on the process and the outcome (issue 20 "Evaluation"),
//! offered when the session closes and on the receipt page; anonymous: the answers go with the
//! receipt to the server, which keeps them without the person's name.

import { outcomeApi } from './api'
import { h } from '../ui/dom'
import { t, type Key } from '../i18n'
import { EVALUATION_QUESTIONS, SCALE, COMMENT_MAX, evaluationBody, type EvaluationQuestion, type Evaluation } from './decisions'
import { errorText } from '../ui/error-text'

/**
 * The questionnaire for one receipt: a 1–5 scale per question, a free comment, "Send"; the
 * answers given earlier from this receipt, if any, filled in.
 */
export function evaluationForm (receipt: string, earlier?: Evaluation | null): HTMLElement {
  const status = h('p', { class: 'eval-status', role: 'status', text: earlier ? t('eval.earlier') : '' })
  const comment = h('textarea', { id: 'eval-comment', name: 'comment', rows: 3, maxlength: COMMENT_MAX, value: earlier?.answers.comment ?? '' })
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'eval-submit', text: t('eval.send') })
  const form = h('form', { class: 'evaluation card-form', id: 'evaluation', 'aria-labelledby': 'eval-title', novalidate: true },
    h('h2', { id: 'eval-title', text: t('eval.title') }),
    h('p', { class: 'hint', text: t('eval.explain') }),
    ...EVALUATION_QUESTIONS.map((q) => h('fieldset', { class: 'likert', 'data-question': q },
      h('legend', { text: t(`eval.${q}` as Key) }),
      h('div', { class: 'likert-options' }, ...SCALE.map((v) => h('label', {},
        h('input', { type: 'radio', name: q, value: v, checked: earlier?.answers[q] === v }), ` ${t(`eval.scale.${v}` as Key)}`))))),
    h('div', { class: 'field' }, h('label', { for: 'eval-comment', text: t('eval.comment') }), comment),
    submit, status)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const scores: Partial<Record<EvaluationQuestion, number>> = {}
    for (const q of EVALUATION_QUESTIONS) {
      const checked = form.querySelector<HTMLInputElement>(`input[name="${q}"]:checked`)
      if (checked) scores[q] = Number(checked.value)
    }
    const body = evaluationBody(scores, comment.value)
    if (!body) { status.textContent = t('eval.empty'); return }
    submit.disabled = true
    try {
      await outcomeApi.evaluate(receipt, body)
      status.textContent = t('eval.thanks')
    } catch (err) {
      status.textContent = t('error.generic', { error: errorText(err) })
    } finally {
      submit.disabled = false
    }
  })
  return form
}
