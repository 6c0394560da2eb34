//! The moderator's sensemaking panel, beside the facilitator's controls: themes and coverage.
//! Loaded on demand (a dynamic import from the board page), so that citizens never download it.
//! Open by itself during a `cluster` step, where themes are what the moderator needs.

import { render } from 'preact'
import './sensemaking.css'
import { useTopicsOf } from '../board/store'
import { AXES } from '../board/routing'
import { t } from '../i18n'
import { ThemesPanel } from './themes'
import { CoveragePanel } from './coverage'
import type { SenseContext } from './context'

function Sensemaking ({ ctx }: { ctx: SenseContext }) {
  // the language, the session's step, the stages' and lanes' names
  useTopicsOf(ctx.store, [AXES])
  return (
    <details class='sensemaking' id='sensemaking' open={ctx.clustering() || undefined}>
      <summary>{t('sense.title')}</summary>
      <p class='sense-note'>{t('sense.intro')}</p>
      <ThemesPanel ctx={ctx} />
      <CoveragePanel ctx={ctx} />
    </details>
  )
}

/** Renders the panel into `host`; returns what removes it. */
export function mountSensemaking (ctx: SenseContext, host: HTMLElement): () => void {
  render(<Sensemaking ctx={ctx} />, host)
  return () => render(null, host)
}
