//! Carrying cards into the next session of a process (issue 20): in the console of a closed
//! session that belongs to a process, the moderator ticks cards and picks an open session of the
//! same process; the server writes them there, each keeping its origin and author.

import { outcomeApi } from './api'
import type { Schema } from '../api/client'
import { h } from '../ui/dom'
import { t, type Key } from '../i18n'
import type { Session } from '../sync/connection'
import type { ConsolePart } from '../session/moderator'
import type { DecidableCard } from './decision-order'
import { errorText } from '../ui/error-text'

export class CarryPanel implements ConsolePart {
  readonly el = h('section', { class: 'carry', 'aria-labelledby': 'carry-heading' })
  private targets: Schema<'Process'>['sessions'] = []
  private readonly status = h('p', { class: 'carry-status', role: 'status', id: 'carry-status' })
  /** Ticked cards, kept over redraws. */
  private readonly ticked = new Set<string>()
  /** The process's sessions were asked for (after the close: the console's refresh may come later). */
  private asked = false

  constructor (
    private readonly token: string,
    private readonly session: () => Session,
    private readonly cards: () => DecidableCard[]
  ) {}

  /** The process's other open sessions: where cards may go. */
  async refresh (): Promise<void> {
    const s = this.session()
    if (!s.process || s.state !== 'closed') return
    this.asked = true
    try {
      const p = await outcomeApi.process(this.token, s.process)
      this.targets = (p?.sessions ?? []).filter((x) => x.id !== s.id && x.state !== 'closed')
    } catch (e) {
      this.status.textContent = t('mod.error', { error: errorText(e) })
    }
  }

  /** Shown for a closed session of a process that has an open session to carry into. */
  render (): void {
    const s = this.session()
    if (s.process && s.state === 'closed' && !this.asked) { void this.refresh().then(() => this.render()); return }
    this.el.hidden = !s.process || s.state !== 'closed' || this.targets.length === 0
    if (this.el.hidden) { this.el.replaceChildren(); return }
    const to = h('select', { id: 'carry-to' }, ...this.targets.map((x) => h('option', {
      value: x.id, text: x.cycle_phase ? `${x.title} (${t(`cycle.${x.cycle_phase}` as Key)})` : x.title
    })))
    const boxes = this.cards().map((c) => {
      const box = h('input', { type: 'checkbox', id: `carry-${c.id}`, value: c.id, checked: this.ticked.has(c.id) })
      box.addEventListener('change', () => { if (box.checked) this.ticked.add(c.id); else this.ticked.delete(c.id) })
      return h('li', {}, box, ' ', h('label', { for: box.id, text: c.name }))
    })
    const submit = h('button', { type: 'submit', class: 'btn small', id: 'carry-submit', text: t('carry.submit') })
    const form = h('form', { class: 'carry-form' },
      h('fieldset', {}, h('legend', { text: t('carry.cards') }), h('ul', { class: 'carry-cards' }, ...boxes)),
      h('label', { for: 'carry-to', text: t('carry.to') }), to, submit)
    form.addEventListener('submit', async (e) => {
      e.preventDefault()
      const items = [...this.ticked]
      if (!items.length) { this.status.textContent = t('carry.none'); return }
      submit.disabled = true
      try {
        const r = await outcomeApi.carry(this.token, s.id, to.value, items)
        this.ticked.clear()
        this.render()
        this.status.textContent = t('carry.done', { n: r?.carried?.length ?? items.length, title: to.selectedOptions[0]?.textContent ?? '' })
      } catch (err) {
        submit.disabled = false
        this.status.textContent = t('mod.error', { error: errorText(err) })
      }
    })
    this.el.replaceChildren(h('h3', { id: 'carry-heading', text: t('carry.heading') }), h('p', { class: 'hint', text: t('carry.explain') }), form, this.status)
  }
}
