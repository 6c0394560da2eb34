//! Coverage for the moderator (issue 29, part 3): a stage × lane table of how many cards each
//! cell holds and which themes they belong to, with empty and thin cells said in words (and
//! shaded, never by colour alone), to see which parts of the journey lack input.

import { useState } from 'preact/hooks'
import * as M from '../board/model'
import { t, axisName } from '../i18n'
import { senseApi, senseErrorText, type Coverage } from './api'
import { cellWords, heat } from './cells'
import { AskingState, type Asking } from './busy'
import type { SenseContext } from './context'

/** A stage's or lane's name as the board shows it in this language (the server has its title only). */
function axisTitle (ctx: SenseContext, which: 'stages' | 'lanes', a: { id: string, title: string }): string {
  const on = M[which](ctx.store.doc).find((x) => x.id === a.id)
  return on ? axisName(which, on) : a.title
}

function Grid ({ ctx, cov }: { ctx: SenseContext, cov: Coverage }) {
  const labels = cov.themes.map((th) => th.label)
  const at = new Map(cov.cells.map((c) => [`${c.stage}\n${c.lane}`, c]))
  if (!cov.stages.length || !cov.lanes.length) return <p>{t('sense.noCells', { n: cov.unplaced })}</p>
  return (
    <div class='coverage-scroll' tabIndex={0} role='region' aria-labelledby='sense-coverage-caption'>
      <table class='coverage' id='sense-coverage'>
        <caption id='sense-coverage-caption'>{t('sense.coverageCaption')}</caption>
        <thead>
          <tr><td />{cov.stages.map((s) => <th key={s.id} scope='col'>{axisTitle(ctx, 'stages', s)}</th>)}</tr>
        </thead>
        <tbody>
          {cov.lanes.map((l) => (
            <tr key={l.id}>
              <th scope='row'>{axisTitle(ctx, 'lanes', l)}</th>
              {cov.stages.map((s) => {
                const c = at.get(`${s.id}\n${l.id}`)
                if (!c) return <td key={s.id} />
                const w = cellWords(c, labels)
                return (
                  <td key={s.id} class={`heat-${heat(c.cards)}`} data-flag={c.flag ?? undefined}>
                    <span class='cov-count'>{w.count}</span>
                    {w.flag ? <span class='cov-flag'>{` · ${w.flag}`}</span> : null}
                    {w.themes ? <span class='cov-themes'>{w.themes}</span> : null}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {cov.unplaced ? <p>{t('sense.unplaced', { n: cov.unplaced })}</p> : null}
    </div>
  )
}

export function CoveragePanel ({ ctx }: { ctx: SenseContext }) {
  const [asking, setAsking] = useState<Asking>()
  const [cov, setCov] = useState<Coverage>()
  const load = async (): Promise<void> => {
    setAsking({ busy: true })
    try {
      setCov(await senseApi.coverage(ctx.token, ctx.session))
      setAsking(undefined)
    } catch (e) {
      setAsking({ error: senseErrorText(e) })
    }
  }
  return (
    <section class='sense-coverage' aria-labelledby='sense-coverage-title'>
      <h3 id='sense-coverage-title'>{t('sense.coverage')}</h3>
      <button type='button' class='btn' id='sense-coverage-show' disabled={!!asking && 'busy' in asking} onClick={() => { void load() }}>
        {t(cov ? 'sense.coverageAgain' : 'sense.coverageShow')}
      </button>
      <AskingState asking={asking} id='sense-coverage-state' />
      {cov ? <Grid ctx={ctx} cov={cov} /> : null}
    </section>
  )
}
