//! The process view for research (issue 31, part 3), under the replay of a session that belongs
//! to a process: its sessions side by side — participation by phase of the cycle, and how many
//! cards were carried forward into a later session and decided there — with the process's
//! dataset to download. Counts only, from `/api/processes/{id}/metrics`; every chart also as a
//! table.

import { researchApi, type ProcessView } from './api'
import { barChart, table } from './charts'
import { h, download } from '../ui/dom'
import { t, type Key } from '../i18n'
import { errorText } from '../ui/error-text'

/** The bars' colours, each 3:1 against white; the numbers are written next to them. */
const CONTRIBUTIONS = '#0b57d0'
const CARRIED = '#00696f'

type Phase = ProcessView['phases'][number]

const phaseName = (p: Phase): string => p.cycle_phase ? t(`cycle.${p.cycle_phase}` as Key) : t('replay.processNoPhase')

/** The process's figures for a researcher or moderator of `token`'s session, as a section. */
export async function processSection (token: string, process: string): Promise<HTMLElement> {
  const section = h('section', { class: 'replay-process', id: 'replay-process', 'aria-labelledby': 'replay-process-title' })
  try {
    render(section, await researchApi.processMetrics(token, process), token)
  } catch (e) {
    section.append(h('h2', { id: 'replay-process-title', text: t('replay.processHeading') }),
      h('p', { class: 'error', text: t('replay.error', { error: errorText(e) }) }))
  }
  return section
}

function render (section: HTMLElement, view: ProcessView, token: string): void {
  const phases = view.phases
  const carried = view.carried.length
  const decided = view.carried.filter((c) => c.status !== null).length
  const status = h('span', { class: 'replay-export-status', role: 'status' })
  const button: HTMLButtonElement = h('button', {
    type: 'button',
    class: 'btn',
    id: 'replay-process-export',
    text: t('replay.processExport'),
    onclick: async () => {
      button.disabled = true
      status.textContent = t('replay.exporting')
      try {
        download(`cocreate-process-${view.process.id}.zip`, await researchApi.processExport(token, view.process.id))
        status.textContent = t('replay.exported')
      } catch (e) {
        status.textContent = t('replay.error', { error: errorText(e) })
      } finally {
        button.disabled = false
      }
    }
  })
  const pct = (v: number | null): string => v === null ? '–' : `${Math.round(v * 100)}%`
  section.append(
    h('h2', { id: 'replay-process-title', text: t('replay.processTitle', { title: view.process.title }) }),
    h('p', { id: 'replay-process-summary', text: t('replay.processSummary', { sessions: t('replay.processSessions', { n: view.sessions.length }), carried: t('replay.processCarried', { n: carried }), decided }) }),
    ...(view.left_out.length > 0 ? [h('p', { text: t('replay.processLeftOut', { n: view.left_out.length }) })] : []),
    h('div', { class: 'replay-charts' },
      barChart('replay-process-phases', 'process-phases-title', t('replay.processByPhase'),
        phases.map((p) => ({ name: phaseName(p), value: p.contributions, colour: CONTRIBUTIONS }))),
      barChart('replay-process-carried', 'process-carried-title', t('replay.processCarriedByPhase'),
        phases.map((p) => ({ name: phaseName(p), value: p.carried_forward, colour: CARRIED })))),
    table(t('replay.processByPhase'),
      [t('replay.processPhase'), t('replay.processSessionsColumn'), t('replay.processParticipants'), t('replay.processContributions'), t('replay.processCitizenShare'), t('replay.processCards'), t('replay.processDecided'), t('replay.processCarriedForward'), t('replay.processCarriedDecided')],
      phases.map((p) => [phaseName(p), p.sessions, p.participants, p.contributions, pct(p.citizen_share), p.cards, p.decided, p.carried_forward, p.carried_forward_decided])),
    h('p', {}, button, ' ', status))
}
