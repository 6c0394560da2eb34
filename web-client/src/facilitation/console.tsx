//! The facilitator's controls (issue 27, part 6), first in the moderator's side bar: the agenda's
//! steps with the current one marked, start / reveal / end / next, the countdown's +1 minute and
//! pause, "bring everyone here", and the agenda's editor, where a method from the library
//! (methods.ts) is picked and adapted (each step's time-up action and zones) before it is saved.
//! Each control's answer shows next to it. Preact keeps what is typed in the editor when the session changes.

import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { t, lang, type Key } from '../i18n'
import { errorText } from '../ui/error-text'
import type { Announcer } from '../ui/announcer'
import type { Session } from '../sync/connection'
import { agendaApi, timerApi, focusOf, type Agenda, type OnEnd, type Step, type StepRequest } from './api'
import { everyOf } from '../api/client'
import { isCardZone, type Access, type Zones } from '../board/rules'
import { STEP_METHODS, methodAgenda, methodName, methodsFor, type BoardZone, type MethodId } from './methods'
import { useFacilitation, type Facilitation } from './state'
import { endedText, methodText } from './step-banner'
import { minutesText } from './time'
import { DraftCounts } from './draft-counts'

export interface ConsoleContext {
  token: string
  f: Facilitation
  /** The board's template: its methods are listed first. */
  template: () => string | undefined
  /** An answer of the server carried the session as it is now. */
  onSession: (s: Session) => void
  announcer: Announcer
  /** The board's zones (stages, lanes or the canvas, then structure, comments, …) with their names. */
  zones: () => BoardZone[]
}

/** What a step may do when its time is up, in the editor's order. */
const ON_END = everyOf<OnEnd>()(['end', 'lock', 'continue'])
/** What citizens may do in a zone, in the editor's order. */
const ACCESS = everyOf<Access>()(['edit', 'add', 'read'])

/** A step in the editor: a request, with a key that stays with it while steps move. */
type Draft = StepRequest & { key: string }

let drafts = 0
const draftOf = (s: StepRequest): Draft => ({ ...s, key: `d${drafts++}` })
const requestOf = ({ key: _key, ...s }: Draft): StepRequest => s

/** The longest step title the server takes (openapi.json). */
const TITLE_MAX = 120
/** The server takes more than 0 and at most this many minutes. */
const MINUTES_MAX = 1440

/** A step's settings in words: method, duration, options. */
function stepFacts (s: Step): string {
  const facts = [methodText(s), s.minutes !== null ? minutesText(s.minutes, lang()) : t('step.untimed')]
  if (s.private) facts.push(t('step.private'))
  if (s.anonymous) facts.push(t('step.anonymous'))
  if (s.method === 'vote' && s.votes !== null) facts.push(t('step.votesEach', { n: s.votes }))
  if (s.secret) facts.push(t('step.secret'))
  if (s.minutes !== null && s.on_end && s.on_end !== 'end') facts.push(t(`facil.onEnd.${s.on_end}`))
  return facts.join(' · ')
}

function FacilitatorConsole ({ ctx }: { ctx: ConsoleContext }) {
  const f = useFacilitation(ctx.f, (x) => `${JSON.stringify(x.step())}\n${x.agendaVersion}\n${x.session?.state}`)
  const sessionId = f.session!.id
  const [agenda, setAgenda] = useState<Agenda | undefined>()
  const [answers, setAnswers] = useState<Record<string, string>>({})
  const [editing, setEditing] = useState<Draft[] | undefined>()

  const say = (at: string, text: string): void => setAnswers((a) => ({ ...a, [at]: text }))

  /** Runs a call; its answer shows next to the control `at`. */
  async function run<T> (at: string, call: Promise<T>): Promise<T | undefined> {
    try {
      const r = await call
      say(at, t('mod.done'))
      return r
    } catch (e) {
      const msg = t('mod.error', { error: errorText(e) })
      say(at, msg)
      ctx.announcer.say(msg)
      return undefined
    }
  }

  // the agenda, again whenever the server says it changed
  useEffect(() => {
    let gone = false
    agendaApi.get(ctx.token, sessionId).then((r) => { if (!gone) setAgenda(r.agenda) }, (e) => say('steps', t('mod.error', { error: errorText(e) })))
    return () => { gone = true }
  }, [f.agendaVersion])

  const act = async (at: string, call: Promise<{ agenda: Agenda, session: Session }>): Promise<void> => {
    const r = await run(at, call)
    if (!r) return
    setAgenda(r.agenda)
    ctx.onSession(r.session)
    // the button pressed may be gone now (End, the last Next): keyboard focus stays in the controls
    requestAnimationFrame(() => {
      if (document.activeElement && document.activeElement !== document.body) return
      ;(document.getElementById('facil-next') ?? document.getElementById('facil-title'))?.focus()
    })
  }

  const closed = f.session?.state === 'closed'
  const step = f.step()
  const steps = agenda?.steps ?? []
  const currentAt = steps.findIndex((s) => s.id === agenda?.current)
  const next = steps[currentAt + 1]
  const running = !!step && step.ended_at === null
  const canReveal = !!step && (step.private || step.secret) && !step.revealed
  const paused = !!step && step.paused_at != null

  return (
    <section class='facilitation' id='facilitation' aria-labelledby='facil-title'>
      <h2 id='facil-title' tabIndex={-1}>{t('facil.title')}</h2>
      {step
        ? <p class='facil-now' id='facil-now'>{t(running ? 'facil.nowRunning' : 'facil.nowEnded', { title: step.title })}{running ? '' : ` ${endedText(step)}`}</p>
        : null}
      {!closed && (step || next)
        ? (
          <div class='btn-row facil-actions'>
            {next ? <button type='button' class='btn primary' id='facil-next' onClick={() => act('now', agendaApi.start(ctx.token, sessionId, next.id))}>{t(step ? 'facil.next' : 'facil.first', { title: next.title })}</button> : null}
            {canReveal ? <button type='button' class='btn' id='facil-reveal' onClick={() => act('now', agendaApi.reveal(ctx.token, sessionId))}>{t('facil.reveal')}</button> : null}
            {running ? <button type='button' class='btn' id='facil-end' onClick={() => act('now', agendaApi.end(ctx.token, sessionId))}>{t('facil.end')}</button> : null}
          </div>)
        : null}
      {running
        ? (
          <div class='btn-row facil-timer'>
            <button type='button' class='btn' id='facil-extend' onClick={() => act('now', timerApi.extend(ctx.token, sessionId, 1))}>{t('facil.extend')}</button>
            {step.ends_at !== null || paused
              ? <button type='button' class='btn' id='facil-pause' data-paused={paused ? '' : undefined} onClick={() => act('now', (paused ? timerApi.resume : timerApi.pause)(ctx.token, sessionId))}>{t(paused ? 'facil.resume' : 'facil.pause')}</button>
              : null}
          </div>)
        : null}
      <p class='mod-answer' role='status' id='facil-answer-now'>{answers.now ?? ''}</p>
      {!closed ? <BringHere ctx={ctx} run={run} say={say} answer={answers.focus ?? ''} /> : null}
      {step?.private && !step.revealed && !closed ? <DraftCounts token={ctx.token} session={sessionId} step={step} version={f.agendaVersion} /> : null}
      {agenda && !steps.length ? <p class='hint' id='facil-empty'>{t('facil.empty')}</p> : null}
      <ol class='agenda-steps' id='agenda-steps'>
        {steps.map((s, i) => {
          const current = i === currentAt
          return (
            <li key={s.id} data-step={s.id} aria-current={current ? 'step' : undefined} class={current ? 'current' : undefined}>
              <div class='agenda-step'>
                <p>
                  <span class='agenda-step-title'>{s.title}</span>
                  {current ? <span class='agenda-step-state'> {t(running ? 'facil.running' : 'facil.endedShort')}</span> : null}
                  <span class='agenda-step-facts'>{stepFacts(s)}</span>
                </p>
                {!closed && !(current && running)
                  ? <button type='button' class='btn small' data-action='start' aria-label={t('facil.startStep', { title: s.title })} onClick={() => act('steps', agendaApi.start(ctx.token, sessionId, s.id))}>{t('facil.start')}</button>
                  : null}
              </div>
            </li>
          )
        })}
      </ol>
      <p class='mod-answer' role='status' id='facil-answer-steps'>{answers.steps ?? ''}</p>
      {!closed && !editing
        ? <button type='button' class='btn' id='agenda-edit' onClick={() => { setEditing(steps.map(draftOf)); say('save', '') }}>{t(steps.length ? 'facil.edit' : 'facil.prepare')}</button>
        : null}
      {!closed && editing
        ? <AgendaEditor ctx={ctx} initial={editing} answer={answers.save ?? ''}
            onCancel={() => { setEditing(undefined); requestAnimationFrame(() => document.getElementById('agenda-edit')?.focus()) }}
            onSave={async (draft) => {
              const r = await run('save', agendaApi.replace(ctx.token, sessionId, draft.map(requestOf)))
              if (!r) return
              setAgenda(r.agenda)
              setEditing(undefined)
              ctx.announcer.say(t('facil.saved'))
              requestAnimationFrame(() => document.getElementById('agenda-edit')?.focus())
            }} />
        : null}
      {!editing ? <p class='mod-answer' role='status' id='facil-answer-save'>{answers.save ?? ''}</p> : null}
    </section>
  )
}

/** "Bring everyone here": a stage, a lane or the canvas everyone's board goes to, until let go. */
function BringHere ({ ctx, run, say, answer }: { ctx: ConsoleContext, run: <T>(at: string, call: Promise<T>) => Promise<T | undefined>, say: (at: string, text: string) => void, answer: string }) {
  const placesOf = (): BoardZone[] => ctx.zones().filter((z) => isCardZone(z.zone))
  // renders again when the focus changes, or the board's places (their names) do
  const focus = focusOf(useFacilitation(ctx.f, (x) => JSON.stringify([focusOf(x.session), placesOf()])).session)
  const places = placesOf()
  const [picked, setZone] = useState('')
  // the board's zones arrive with its document, and a stage or lane may go: the first until one is picked
  const zone = places.some((p) => p.zone === picked) ? picked : places[0]?.zone ?? ''
  const id = ctx.f.session!.id
  const bring = async (to: string | null): Promise<void> => {
    const r = await run('focus', timerApi.focus(ctx.token, id, to))
    if (!r) return
    ctx.onSession(r.session)
    say('focus', to ? t('focus.brought', { zone: places.find((p) => p.zone === to)?.name ?? to }) : t('focus.cleared'))
  }
  if (!places.length) return null
  return (
    <div class='facil-focus'>
      <label for='focus-zone'>{t('focus.where')}</label>
      <div class='btn-row'>
        <select id='focus-zone' value={zone} onChange={(e) => setZone((e.currentTarget as HTMLSelectElement).value)}>
          {places.map((p) => <option key={p.zone} value={p.zone}>{p.name}</option>)}
        </select>
        <button type='button' class='btn' id='focus-bring' onClick={() => bring(zone)}>{t('focus.bring')}</button>
        {focus ? <button type='button' class='btn' id='focus-clear' onClick={() => bring(null)}>{t('focus.clear')}</button> : null}
      </div>
      <p class='mod-answer' role='status' id='focus-answer'>{answer}</p>
    </div>
  )
}

/** A step's zone rules for citizens: a select per zone ("as usual" leaves it out). */
function ZoneRules ({ ctx, zones, id, onChange }: { ctx: ConsoleContext, zones: Zones | undefined, id: (what: string) => string, onChange: (z: Zones) => void }) {
  const set = (zone: string, access: string): void => {
    const next: Zones = { ...zones }
    if (access) next[zone] = { citizen: access as Access }; else delete next[zone]
    onChange(next)
  }
  const named = Object.keys(zones ?? {}).length
  return (
    <details class='zone-rules'>
      <summary>{t('facil.zones', { n: named })}</summary>
      <p class='hint'>{t('facil.zonesHint')}</p>
      <ul>
        {ctx.zones().map((z, k) => (
          <li key={z.zone} class='field-pair'>
            <label for={id(`zone-${k}`)}>{z.name}</label>
            <select id={id(`zone-${k}`)} data-zone={z.zone} value={zones?.[z.zone]?.citizen ?? ''} onChange={(e) => set(z.zone, (e.currentTarget as HTMLSelectElement).value)}>
              <option value=''>{t('facil.access.usual')}</option>
              {ACCESS.map((a) => <option key={a} value={a}>{t(`facil.access.${a}`)}</option>)}
            </select>
          </li>
        ))}
      </ul>
    </details>
  )
}

interface EditorProps {
  ctx: ConsoleContext
  initial: Draft[]
  answer: string
  onCancel: () => void
  onSave: (draft: Draft[]) => Promise<void>
}

/** The agenda being prepared: a method from the library, then each step's settings. */
function AgendaEditor ({ ctx, initial, answer, onCancel, onSave }: EditorProps) {
  const [draft, setDraft] = useState<Draft[]>(initial)
  const [method, setMethod] = useState<MethodId>(() => methodsFor(ctx.template())[0])
  const [picked, setPicked] = useState('')
  const change = (key: string, patch: Partial<StepRequest>): void => setDraft((d) => d.map((s) => s.key === key ? { ...s, ...patch } : s))
  const move = (i: number, by: number): void => setDraft((d) => {
    const out = [...d]
    const [s] = out.splice(i, 1)
    out.splice(i + by, 0, s)
    return out
  })
  const focusLater = (id: string): void => { requestAnimationFrame(() => document.getElementById(id)?.focus()) }
  const order = methodsFor(ctx.template())

  return (
    <form class='agenda-editor' id='agenda-form' aria-labelledby='agenda-form-title' onSubmit={(e) => { e.preventDefault(); void onSave(draft) }}>
      <h3 id='agenda-form-title'>{t('facil.editTitle')}</h3>
      <fieldset class='method-pick'>
        <legend>{t('facil.library')}</legend>
        <label for='method-pick'>{t('facil.method')}</label>
        <select id='method-pick' value={method} onChange={(e) => setMethod((e.currentTarget as HTMLSelectElement).value as MethodId)}>
          {order.map((id) => <option key={id} value={id}>{methodName(id)}</option>)}
        </select>
        <button type='button' class='btn' id='method-use' aria-describedby='method-hint' onClick={() => {
          setDraft(methodAgenda(method, lang(), ctx.zones()).map(draftOf))
          setPicked(t('facil.methodUsed', { name: methodName(method) }))
          focusLater('step-title-0')
        }}>{t('facil.useMethod')}</button>
        <p class='hint' id='method-hint'>{t('facil.methodHint')}</p>
        <p class='mod-answer' role='status' id='method-answer'>{picked}</p>
      </fieldset>
      <ol class='agenda-draft' id='agenda-draft'>
        {draft.map((s, i) => {
          const id = (what: string): string => `step-${what}-${i}`
          const n = i + 1
          return (
            <li key={s.key}>
              <fieldset>
                <legend>{t('facil.stepN', { n })}</legend>
                <label for={id('title')}>{t('facil.stepTitle')}</label>
                <input type='text' id={id('title')} value={s.title} maxLength={TITLE_MAX} required onInput={(e) => change(s.key, { title: (e.currentTarget as HTMLInputElement).value })} />
                <div class='agenda-draft-row'>
                  <span class='field-pair'>
                    <label for={id('method')}>{t('facil.stepMethod')}</label>
                    <select id={id('method')} value={s.method} onChange={(e) => change(s.key, { method: (e.currentTarget as HTMLSelectElement).value as StepRequest['method'] })}>
                      {STEP_METHODS.map((m) => <option key={m} value={m}>{t(`stepMethod.${m}` as Key)}</option>)}
                    </select>
                  </span>
                  <span class='field-pair'>
                    <label for={id('minutes')}>{t('facil.minutes')}</label>
                    <input type='number' id={id('minutes')} min='0.05' max={MINUTES_MAX} step='any' inputMode='decimal' aria-describedby='minutes-hint'
                      value={s.minutes ?? ''} onInput={(e) => {
                        const v = (e.currentTarget as HTMLInputElement).valueAsNumber
                        change(s.key, { minutes: Number.isFinite(v) && v > 0 ? v : null })
                      }} />
                  </span>
                  {s.minutes != null
                    ? (
                      <span class='field-pair'>
                        <label for={id('on-end')}>{t('facil.onEnd')}</label>
                        <select id={id('on-end')} value={s.on_end ?? 'end'} onChange={(e) => change(s.key, { on_end: (e.currentTarget as HTMLSelectElement).value as OnEnd })}>
                          {ON_END.map((o) => <option key={o} value={o}>{t(`facil.onEnd.${o}`)}</option>)}
                        </select>
                      </span>)
                    : null}
                  {s.method === 'vote'
                    ? (
                      <span class='field-pair'>
                        <label for={id('votes')}>{t('facil.votes')}</label>
                        <input type='number' id={id('votes')} min='0' max='100' step='1' value={s.votes ?? ''} onInput={(e) => {
                          const v = (e.currentTarget as HTMLInputElement).valueAsNumber
                          change(s.key, { votes: Number.isFinite(v) ? Math.max(0, Math.min(100, Math.round(v))) : null })
                        }} />
                      </span>)
                    : null}
                </div>
                <div class='agenda-draft-row'>
                  {(['private', 'anonymous', 'secret'] as const).map((opt) => (
                    <label key={opt} class='check' for={id(opt)}>
                      <input type='checkbox' id={id(opt)} checked={!!s[opt]} onChange={(e) => change(s.key, { [opt]: (e.currentTarget as HTMLInputElement).checked })} />
                      {t(`facil.opt.${opt}` as Key)}
                    </label>
                  ))}
                </div>
                <ZoneRules ctx={ctx} zones={s.zones} id={id} onChange={(zones) => change(s.key, { zones })} />
                <div class='btn-row'>
                  <button type='button' class='btn small' id={id('up')} disabled={i === 0} aria-label={t('facil.up', { n })} onClick={() => { move(i, -1); focusLater(`step-up-${i - 1}`) }}>↑</button>
                  <button type='button' class='btn small' id={id('down')} disabled={i === draft.length - 1} aria-label={t('facil.down', { n })} onClick={() => { move(i, 1); focusLater(`step-down-${i + 1}`) }}>↓</button>
                  <button type='button' class='btn small danger' id={id('remove')} aria-label={t('facil.remove', { n })} onClick={() => {
                    setDraft((d) => d.filter((x) => x.key !== s.key))
                    focusLater(draft.length > 1 ? `step-title-${Math.max(0, i - 1)}` : 'agenda-add')
                  }}>{t('facil.removeShort')}</button>
                </div>
              </fieldset>
            </li>
          )
        })}
      </ol>
      <p class='hint' id='minutes-hint'>{t('facil.minutesHint')}</p>
      <div class='btn-row'>
        <button type='button' class='btn' id='agenda-add' onClick={() => {
          setDraft((d) => [...d, draftOf({ title: '', method: 'custom', minutes: null })])
          focusLater(`step-title-${draft.length}`)
        }}>{t('facil.add')}</button>
        <button type='submit' class='btn primary' id='agenda-save' aria-describedby='facil-answer-save'>{t('facil.save')}</button>
        <button type='button' class='btn' id='agenda-cancel' onClick={onCancel}>{t('facil.cancel')}</button>
      </div>
      <p class='mod-answer' role='status' id='facil-answer-save'>{answer}</p>
    </form>
  )
}

/** Renders the facilitator's controls into `el` and keeps them live; returns what ends them. */
export function mountFacilitatorConsole (ctx: ConsoleContext, el: HTMLElement): () => void {
  render(<FacilitatorConsole ctx={ctx} />, el)
  return () => render(null, el)
}

