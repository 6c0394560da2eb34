//! The participant's side of research recording: the "recorded for research" indicator on the
//! board and the consent question at join (server/README.md: `research`, `research_consent`).

import type { Session } from '../sync/connection'
import { h } from '../ui/dom'
import { t } from '../i18n'

/**
 * A visible "Recorded for research" mark when the session is recorded, its explanation shown on
 * hover and on keyboard focus (a tooltip that stays while hovered and Escape dismisses, WCAG
 * 1.4.13), and always available to screen readers through aria-describedby.
 */
export function recordedIndicator (session: Session | undefined): HTMLElement | null {
  if (!session?.research?.recorded) return null
  const tip = h('span', { class: 'tip', role: 'tooltip', id: 'recorded-help', text: t(session.research.keep_names ? 'research.recordedHelpNames' : 'research.recordedHelp') })
  const el = h('span', { class: 'recorded', id: 'recorded', tabindex: '0', 'aria-describedby': 'recorded-help' },
    h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), t('research.recorded'), tip)
  el.addEventListener('keydown', (e) => { if (e.key === 'Escape') el.classList.add('tip-dismissed') })
  el.addEventListener('blur', () => el.classList.remove('tip-dismissed'))
  el.addEventListener('mouseleave', () => el.classList.remove('tip-dismissed'))
  return el
}

/**
 * The consent question: a yes/no radio group with a short explanation. The join page shows it
 * once the server answered `consent_required` (nothing tells the page earlier whether a join code
 * or invite belongs to a session that asks).
 */
export class ConsentQuestion {
  private readonly yes = h('input', { type: 'radio', name: 'research_consent', id: 'consent-yes', value: 'yes' })
  private readonly no = h('input', { type: 'radio', name: 'research_consent', id: 'consent-no', value: 'no' })
  readonly el = h('fieldset', { class: 'consent', id: 'consent', 'aria-describedby': 'consent-explain' },
    h('legend', { text: t('consent.legend') }),
    h('p', { class: 'hint', id: 'consent-explain', text: t('consent.explain') }),
    h('div', { class: 'radio' }, this.yes, h('label', { for: 'consent-yes', text: t('consent.yes') })),
    h('div', { class: 'radio' }, this.no, h('label', { for: 'consent-no', text: t('consent.no') })))

  constructor () { this.el.hidden = true }

  /** Shown once the session asked. */
  get asked (): boolean { return !this.el.hidden }

  /** Asks; `focus` when the person just tried to join (not while they type the code). */
  show (focus = true): void { this.el.hidden = false; if (focus) this.yes.focus() }

  /** The answer, or undefined while neither is chosen. */
  get answer (): boolean | undefined { return this.yes.checked ? true : this.no.checked ? false : undefined }
}
