//! What became of people's input (issue 20), without DOM: the decision statuses, what the server
//! answers about decisions, receipts and results, and how the pages group and count them.

import { everyOf, type Body, type Schema } from '../api/client'

/** A decision's status, as the API names it (openapi.json `DecisionStatus`). */
export type Status = Schema<'DecisionStatus'>

/**
 * Every status, in the order of the work it describes (server/README.md "Decisions"): a status
 * the server adds and this list lacks does not compile.
 */
export const STATUSES = everyOf<Status>()(['under-consideration', 'accepted', 'planned', 'in-progress', 'done', 'not-taken-up'])

export const isStatus = (s: unknown): s is Status => typeof s === 'string' && (STATUSES as readonly string[]).includes(s)

/** The statuses that mean "yes, this is being acted on", for the "accepted" count. */
const ACCEPTED: readonly Status[] = ['accepted', 'planned', 'in-progress', 'done']

/** The server's caps an explanation at this length; the form says so before it refuses. */
export const EXPLANATION_MAX = 2000

/** `PUT …/items/{item}/decision` answers one; `GET …/decisions` lists them. */
export type Decision = Schema<'Decision'>

/** One thing a person contributed, as their receipt lists it (`GET /api/receipts/{receipt}`). */
export type Contribution = Schema<'Contribution'>

/** Answers given earlier from this receipt (the form shows them; sending again replaces them). */
export type Evaluation = Schema<'Evaluation'>

export type Receipt = Schema<'Receipt'>

/** A published card: its text and decision (no author: results name nobody). */
export interface ResultCard { item: string, text: string, status: Status | null, explanation: string, decided_at?: number | null, kind?: string, on?: string }

/** The figures a results page leads with. */
export type Counts = Schema<'ResultCounts'>

/** A session's published results, as the results page shows them. */
export interface Results {
  /** `language`: the session's, the page's default ('' when the answer leaves it out). */
  session: { id: string, title: string, language: string }
  counts: Counts
  /** Status groups in STATUSES order, then the cards without a decision yet; empty groups left out. */
  groups: { status: Status | null, cards: ResultCard[] }[]
  /**
   * The comments: not decided on themselves (their card is), so never "no decision yet"; shown
   * with their card where the server says which (`on`), else on their own.
   */
  comments: ResultCard[]
}

const str = (v: unknown): string => typeof v === 'string' ? v : ''
const num = (v: unknown): number | undefined => typeof v === 'number' && Number.isFinite(v) ? v : undefined

function resultCard (raw: unknown, status?: unknown): ResultCard {
  const o = (raw ?? {}) as Record<string, unknown>
  const d = (o.decision ?? {}) as Record<string, unknown>
  const s = o.status ?? d.status ?? status
  return {
    item: str(o.item ?? o.id),
    ...(typeof o.kind === 'string' ? { kind: o.kind } : {}),
    ...(typeof o.on === 'string' ? { on: o.on } : {}),
    text: str(o.text),
    status: isStatus(s) ? s : null,
    explanation: str(o.explanation ?? d.explanation),
    decided_at: num(o.decided_at ?? d.decided_at) ?? null
  }
}

/** Cards in status order (STATUSES, undecided last), each group in the order given. */
export function groupByStatus (cards: ResultCard[]): Results['groups'] {
  const order: (Status | null)[] = [...STATUSES, null]
  return order.map((status) => ({ status, cards: cards.filter((c) => c.status === status) })).filter((g) => g.cards.length > 0)
}

/** Counts computed from the cards, for when the server leaves a figure out. */
export function countCards (cards: ResultCard[]): Counts {
  return {
    contributions: cards.length,
    decided: cards.filter((c) => c.status !== null).length,
    accepted: cards.filter((c) => c.status !== null && ACCEPTED.includes(c.status)).length
  }
}

/**
 * `GET /api/results/{id}` read into what the page shows. The cards come grouped (`groups`:
 * `[{status, cards}]`, or `by_status`: `{status: cards}`) or as one list (`cards`); they are
 * regrouped here so that the order of statuses is the same on every page. The server's counts win
 * (it counts contributions the page does not list, such as comments).
 */
export function readResults (raw: unknown): Results {
  const o = (raw ?? {}) as Record<string, unknown>
  const session = (o.session ?? {}) as Record<string, unknown>
  const cards: ResultCard[] = []
  if (Array.isArray(o.groups)) {
    for (const g of o.groups as Record<string, unknown>[]) {
      for (const c of (g.cards ?? g.items ?? []) as unknown[]) cards.push(resultCard(c, g.status))
    }
  } else if (o.by_status && typeof o.by_status === 'object') {
    for (const [status, list] of Object.entries(o.by_status as Record<string, unknown>)) {
      if (Array.isArray(list)) for (const c of list) cards.push(resultCard(c, status))
    }
  }
  if (Array.isArray(o.cards)) for (const c of o.cards) cards.push(resultCard(c))
  const given = (o.counts ?? {}) as Record<string, unknown>
  const computed = countCards(cards)
  const comments = cards.filter((c) => c.kind === 'comment')
  return {
    session: { id: str(session.id ?? o.id), title: str(session.title ?? o.title), language: str(session.language) },
    counts: {
      contributions: num(given.contributions) ?? computed.contributions,
      decided: num(given.decided ?? given.with_decision) ?? computed.decided,
      accepted: num(given.accepted) ?? computed.accepted
    },
    groups: groupByStatus(cards.filter((c) => c.kind !== 'comment')),
    comments: comments.map((c) => ({ ...c, status: null, explanation: '', decided_at: null }))
  }
}

/** A receipt's contributions by kind: the cards and notes (with their decisions), comments, votes. */
export function receiptSections<R extends { contributions: { kind: string }[] }> (r: R): Record<'cards' | 'comments' | 'votes', R['contributions']> {
  const of = (...kinds: string[]): R['contributions'] => r.contributions.filter((c) => kinds.includes(c.kind)) as R['contributions']
  return { cards: of('card', 'note', 'group'), comments: of('comment'), votes: of('vote') }
}

/** A statement of the questionnaire, as the API names it (the figures list one per statement). */
export type EvaluationQuestion = keyof Schema<'EvaluationFigures'>['statements']

/** The questionnaire at close and on the receipt page (issue 20 "Evaluation"), each 1 to 5, in the order asked. */
export const EVALUATION_QUESTIONS = everyOf<EvaluationQuestion>()(['could_say', 'listened_to', 'understand_next', 'would_return'])
export const SCALE = [1, 2, 3, 4, 5] as const
/** The free comment's cap (the server's). */
export const COMMENT_MAX = 2000

/**
 * The body of `POST /api/receipts/{receipt}/evaluation`: only what was answered (every question is
 * optional); undefined when nothing was.
 */
export function evaluationBody (scores: Partial<Record<EvaluationQuestion, number>>, comment: string): Body<'evaluate'> | undefined {
  const answers: Body<'evaluate'>['answers'] = {}
  for (const q of EVALUATION_QUESTIONS) {
    const v = scores[q]
    if (v !== undefined && (SCALE as readonly number[]).includes(v)) answers[q] = v
  }
  const c = comment.trim().slice(0, COMMENT_MAX)
  if (c) answers.comment = c
  return Object.keys(answers).length ? { answers } : undefined
}
