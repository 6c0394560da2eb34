//! The journey map and the service blueprint: a real table, stages as column headers and lanes as
//! row headers, each cell a labelled list of its cards. The table renders again only when stages
//! or lanes change; a cell only when its cards come, go or reorder; a card only when it changes.
//! Headers stay in view while the board scrolls (sticky); cells off screen skip layout and paint
//! (content-visibility), so a board of a thousand cards stays quick.

import type { ComponentChildren } from 'preact'
import { useLayoutEffect, useRef } from 'preact/hooks'
import * as M from './model'
import * as A from './actions'
import { t, axisName, type Key } from '../i18n'
import { StoreContext, useTopics, useTopicsOf, type BoardStore } from './store'
import { AXES, CELLS, CONNECTORS, cellTopic } from './routing'
import { Card, CARD_MIME } from './card'
import { AxisHeader } from './headers'
import { EmotionRow } from './curve'
import { onCellKey } from './keyboard'
import { connectorLayer, addConnectorLine } from './connectors'
import { pure } from '../ui/pure'

interface CellProps { lane: string, stage: string, laneName: string, stageName: string }

/** The drafts' store lent to what renders inside (their cards read and write the draft document). */
export function InDrafts ({ drafts, children }: { drafts: BoardStore | undefined, children: ComponentChildren }) {
  return drafts ? <StoreContext.Provider value={drafts}>{children}</StoreContext.Provider> : null
}

function CellView ({ lane, stage, laneName, stageName }: CellProps) {
  const store = useTopics([cellTopic(lane, stage)])
  // this person's drafts in the cell (a private step), from the drafts' own store
  useTopicsOf(store.drafts, [cellTopic(lane, stage)])
  const list = useRef<HTMLUListElement>(null)
  const ids = store.index.cardsIn(lane, stage)
  const drafted = store.drafts?.index.cardsIn(lane, stage) ?? []
  const edit = store.env.canEdit() && store.env.rules().mayAdd(lane, stage)
  // the browser says when it starts or stops skipping this list off screen (content-visibility)
  useLayoutEffect(() => {
    const ul = list.current
    if (!ul) return undefined
    const onState = (e: Event): void => { if ((e as Event & { skipped?: boolean }).skipped) store.skipped.add(ul); else store.skipped.delete(ul) }
    ul.addEventListener('contentvisibilityautostatechange', onState)
    return () => { ul.removeEventListener('contentvisibilityautostatechange', onState); store.skipped.delete(ul) }
  }, [])
  const drop = (e: DragEvent): void => {
    const td = e.currentTarget as HTMLElement
    td.classList.remove('drop-target')
    const id = e.dataTransfer?.getData(CARD_MIME)
    if (!id) return
    e.preventDefault()
    // the drop position among the cell's cards (by their vertical middles)
    const others = [...list.current?.querySelectorAll<HTMLElement>(':scope > li > .card') ?? []].filter((x) => x.dataset.id !== id)
    const index = others.findIndex((x) => { const r = x.getBoundingClientRect(); return e.clientY < r.top + r.height / 2 })
    M.moveCard(store.doc, id, lane, stage, index < 0 ? undefined : index)
    store.select(id)
    store.focusItem(id)
  }
  return (
    <td class='cell' data-lane={lane} data-stage={stage}
      onDragOver={edit ? (e: DragEvent) => { if (!e.dataTransfer?.types.includes(CARD_MIME)) return; e.preventDefault(); e.dataTransfer.dropEffect = 'move'; (e.currentTarget as HTMLElement).classList.add('drop-target') } : undefined}
      onDragLeave={edit ? (e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('drop-target') : undefined}
      onDrop={edit ? drop : undefined}>
      <ul class='cards' ref={list} aria-label={t('board.cell', { lane: laneName, stage: stageName, n: ids.length + drafted.length })}>
        {ids.map((id) => <li key={id}><Card id={id} /></li>)}
        <InDrafts drafts={store.drafts}>{drafted.map((id) => <li key={id}><Card id={id} /></li>)}</InDrafts>
      </ul>
      {edit
        ? (
          <button type='button' class='add-card' data-key={`add:${lane}:${stage}`} aria-label={t('board.addCardIn', { lane: laneName, stage: stageName })}
            onClick={() => A.addCard(store, lane, stage)} onKeyDown={onCellKey}>
            <span aria-hidden='true'>+ </span>{t('board.addCard')}
          </button>
          )
        : null}
    </td>
  )
}

const Cell = pure(CellView)

/**
 * The blueprint's arrows between cards, drawn over the table from the cards' boxes. Drawn again
 * when arrows change, a card comes, goes or moves, or the table's size changes; not per keystroke.
 */
function BlueprintArrows () {
  const store = useTopics([CONNECTORS, CELLS])
  const host = useRef<HTMLDivElement>(null)
  useLayoutEffect(() => {
    const wrap = host.current?.parentElement
    const table = wrap?.querySelector('table')
    if (!wrap || !table) return undefined
    let frame = 0
    const draw = (): void => {
      frame = 0
      const base = wrap.getBoundingClientRect()
      const layer = connectorLayer('bp-arrows', wrap.scrollWidth, wrap.scrollHeight)
      const box = (id: string | undefined): DOMRect | undefined => wrap.querySelector(`[data-id="${CSS.escape(id ?? '')}"]`)?.getBoundingClientRect()
      for (const a of store.index.connectors()) {
        const ra = box(a.from); const rb = box(a.to)
        if (!ra || !rb) continue
        addConnectorLine(layer, { x: ra.left - base.left, y: ra.top - base.top, w: ra.width, h: ra.height }, { x: rb.left - base.left, y: rb.top - base.top, w: rb.width, h: rb.height }, a.directed !== false)
      }
      host.current?.replaceChildren(layer)
    }
    const later = (): void => { if (!frame) frame = requestAnimationFrame(draw) }
    later()
    const resized = new ResizeObserver(later)
    resized.observe(table)
    return () => { resized.disconnect(); cancelAnimationFrame(frame) }
  })
  return <div class='bp-arrows-host' ref={host} />
}

/**
 * A phone's stage navigation: previous and next, the stage shown with its number of cards, and
 * "new" on the side where cards arrived in a stage not looked at since.
 */
function StageNav ({ stages, lanes }: { stages: M.Axis[], lanes: M.Axis[] }) {
  const store = useTopics([AXES, CELLS])
  useTopicsOf(store.drafts, [CELLS])
  const seen = useRef<Map<string, number> | null>(null)
  const inCell = (l: M.Axis, s: M.Axis): number => store.index.cardsIn(l.id, s.id).length + (store.drafts?.index.cardsIn(l.id, s.id).length ?? 0)
  const counts = stages.map((s) => lanes.reduce((n, l) => n + inCell(l, s), 0))
  seen.current ??= new Map(stages.map((s, i) => [s.id, counts[i]]))
  const i = store.stageIndex
  const cur = stages[i]
  seen.current.set(cur.id, counts[i])
  const fresh = (from: number, to: number): boolean => stages.slice(from, to).some((s, k) => counts[from + k] > (seen.current?.get(s.id) ?? 0))
  const step = (to: number, label: string, arrow: string, isNew: boolean, key: string) => (
    <button type='button' class='btn' data-key={key} disabled={to < 0 || to >= stages.length} aria-label={isNew ? `${label} (${t('board.stageNew')})` : label} title={label} onClick={() => store.showStage(to)}>
      {key === 'stage-prev' ? arrow : null}{isNew ? <span class='new-mark' aria-hidden='true'>{t('board.stageNew')}</span> : null}{key === 'stage-next' ? arrow : null}
    </button>
  )
  return (
    <nav class='stage-nav' aria-label={t('board.stages')}>
      {step(i - 1, t('board.prevStage'), '‹', fresh(0, i), 'stage-prev')}
      <span class='stage-of' aria-live='polite'>{t('board.stageOf', { i: i + 1, n: stages.length, name: axisName('stages', cur) })} <span class='stage-count'>{`(${t('board.stageCards', { n: counts[i] })})`}</span></span>
      {step(i + 1, t('board.nextStage'), '›', fresh(i + 1, stages.length), 'stage-next')}
    </nav>
  )
}

/** The journey map or blueprint as a table; on a phone, one stage at a time with previous/next. */
export function Grid ({ template }: { template: M.Template }) {
  const store = useTopics([AXES])
  const allStages = M.stages(store.doc)
  const lanes = M.lanes(store.doc)
  const narrow = store.narrow
  const textView = store.textView()
  if (store.stageIndex >= allStages.length) store.stageIndex = Math.max(0, allStages.length - 1)
  const shown = narrow ? allStages.slice(store.stageIndex, store.stageIndex + 1) : allStages
  const cur = allStages[store.stageIndex]
  return (
    <div class={`grid-wrap tpl-${template}${textView ? ' text-view' : ''}`}>
      {narrow && cur ? <StageNav stages={allStages} lanes={lanes} /> : null}
      <table class='grid' id='grid' aria-labelledby='board-title'>
        <thead>
          <tr>
            <td class='corner' />
            {shown.map((s) => <AxisHeader key={s.id} which='stages' axis={s} index={allStages.indexOf(s)} count={allStages.length} />)}
          </tr>
        </thead>
        <tbody>
          {lanes.flatMap((l, li) => {
            const lname = axisName('lanes', l)
            const line = template === 'service-blueprint' ? M.BLUEPRINT_LINES[l.kind] : undefined
            return [
              <tr key={l.id} data-lane={l.id} class={`lane lane-${l.kind}`}>
                <AxisHeader which='lanes' axis={l} index={li} count={lanes.length} />
                {shown.map((s) => <Cell key={s.id} lane={l.id} stage={s.id} laneName={lname} stageName={axisName('stages', s)} />)}
              </tr>,
              template === 'journey-map' && l.kind === 'emotions' ? <EmotionRow key={`${l.id}-curve`} shown={shown} all={allStages} drawn={!textView} /> : null,
              line ? <tr key={`${l.id}-line`} class={`bp-line bp-line-${line}`}><td colSpan={shown.length + 1}><span>{t(`line.${line}` as Key)}</span></td></tr> : null
            ]
          })}
        </tbody>
      </table>
      {template === 'service-blueprint' && !textView ? <BlueprintArrows /> : null}
    </div>
  )
}

