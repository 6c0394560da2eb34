//! Themes for the moderator (issue 29, part 1): the server's proposed themes for the whole board
//! or one stage or lane, each with its label, telling words, central quote and every card it
//! holds (cited), the cards left unthemed, and a choice of themes to accept as groups. Nothing on
//! the board changes until "Accept as groups": the groups then reach everyone through the room.

import { useState } from 'preact/hooks'
import * as M from '../board/model'
import { useTopicsOf } from '../board/store'
import { itemTopic } from '../board/routing'
import { t, axisName } from '../i18n'
import { senseApi, senseErrorText, scopeBody, type Themes } from './api'
import { Cite } from './cite'
import { AskingState, type Asking } from './busy'
import type { SenseContext } from './context'

/** A run's themes, which of them the moderator chose, and whether they were accepted (how many groups). */
interface Proposal { run: Themes, chosen: Set<number>, accepted?: number }

function ThemeView ({ ctx, proposal, index, toggle }: { ctx: SenseContext, proposal: Proposal, index: number, toggle: () => void }) {
  const th = proposal.run.themes[index]
  const central = M.item(ctx.store.doc, th.central)
  return (
    <li class='theme' data-theme={index}>
      <label class='theme-choice'>
        <input type='checkbox' checked={proposal.chosen.has(index)} disabled={proposal.accepted !== undefined} onChange={toggle} />
        <span class='theme-label'>{th.label}</span>
        <span class='theme-count'>{` (${t('sense.cards', { n: th.items.length })})`}</span>
      </label>
      <p class='theme-terms'>{t('sense.terms', { terms: th.terms.join(', ') })}</p>
      <blockquote class='theme-quote' lang={central?.language || undefined}>{th.quote}</blockquote>
      <ul class='theme-cards' aria-label={t('sense.cardsOf', { label: th.label })}>
        {th.items.map((id) => <li key={id}><Cite ctx={ctx} id={id} /></li>)}
      </ul>
    </li>
  )
}

export function ThemesPanel ({ ctx }: { ctx: SenseContext }) {
  const [scope, setScope] = useState('')
  const [asking, setAsking] = useState<Asking>()
  const [proposal, setProposal] = useState<Proposal>()
  const cited = proposal ? [...proposal.run.themes.flatMap((th) => th.items), ...proposal.run.unthemed] : []
  // a cited card edited, hidden or deleted: its citation follows (and the language, the stages' names)
  useTopicsOf(ctx.store, cited.map(itemTopic))
  const doc = ctx.store.doc

  const suggest = async (): Promise<void> => {
    setAsking({ busy: true })
    try {
      const run = await senseApi.themes(ctx.token, ctx.session, scopeBody(scope))
      setProposal({ run, chosen: new Set(run.themes.map((_, i) => i)) })
      setAsking(undefined)
      ctx.store.env.announcer.say(t('sense.found', { n: run.themes.length }))
    } catch (e) {
      setAsking({ error: senseErrorText(e) })
    }
  }
  const accept = async (p: Proposal): Promise<void> => {
    setAsking({ busy: true })
    try {
      const done = await senseApi.accept(ctx.token, ctx.session, p.run.run, [...p.chosen].sort((a, b) => a - b))
      setProposal({ ...p, accepted: done.groups.length })
      setAsking(undefined)
      ctx.store.env.announcer.say(t('sense.accepted', { n: done.groups.length }))
    } catch (e) {
      setAsking({ error: senseErrorText(e) })
    }
  }
  const toggle = (p: Proposal, i: number): void => {
    const chosen = new Set(p.chosen)
    if (!chosen.delete(i)) chosen.add(i)
    setProposal({ ...p, chosen })
  }
  const busy = !!asking && 'busy' in asking
  return (
    <section class='sense-themes' aria-labelledby='sense-themes-title'>
      <h3 id='sense-themes-title'>{t('sense.themes')}</h3>
      {ctx.clustering() ? <p class='sense-hint'>{t('sense.clusterStep')}</p> : null}
      <form class='sense-ask' onSubmit={(e) => { e.preventDefault(); void suggest() }}>
        <label for='sense-scope'>{t('sense.scope')}</label>
        <select id='sense-scope' value={scope} onChange={(e) => setScope((e.currentTarget as HTMLSelectElement).value)}>
          <option value=''>{t('sense.wholeBoard')}</option>
          {M.stages(doc).map((s) => <option key={s.id} value={`stage:${s.id}`}>{t('sense.stage', { name: axisName('stages', s) })}</option>)}
          {M.lanes(doc).map((l) => <option key={l.id} value={`lane:${l.id}`}>{t('sense.lane', { name: axisName('lanes', l) })}</option>)}
        </select>
        <button type='submit' class='btn' id='sense-suggest' disabled={busy}>{t('sense.suggest')}</button>
      </form>
      <AskingState asking={asking} id='sense-themes-state' />
      {proposal
        ? (
          <div class='sense-proposal' id='sense-proposal'>
            <p class='sense-note'>{proposal.accepted === undefined ? t('sense.suggestionOnly') : t('sense.accepted', { n: proposal.accepted })}</p>
            {proposal.run.themes.length
              ? <ol class='themes'>{proposal.run.themes.map((_, i) => <ThemeView key={i} ctx={ctx} proposal={proposal} index={i} toggle={() => toggle(proposal, i)} />)}</ol>
              : <p>{t('sense.noThemes')}</p>}
            {proposal.run.unthemed.length
              ? (
                <details class='unthemed'>
                  <summary>{t('sense.unthemed', { n: proposal.run.unthemed.length })}</summary>
                  <ul>{proposal.run.unthemed.map((id) => <li key={id}><Cite ctx={ctx} id={id} /></li>)}</ul>
                </details>
                )
              : null}
            {proposal.accepted === undefined && proposal.run.themes.length
              ? <button type='button' class='btn primary' id='sense-accept' disabled={busy || !proposal.chosen.size} onClick={() => { void accept(proposal) }}>{t('sense.accept', { n: proposal.chosen.size })}</button>
              : null}
            <p class='sense-model'>{t('sense.model', { name: proposal.run.model.name })}</p>
          </div>
          )
        : null}
    </section>
  )
}
