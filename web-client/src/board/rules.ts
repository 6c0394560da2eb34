//! What this person may do on the board now (issue 27, part 3). The server holds the rules (roles,
//! cards belong to their authors, the structure to moderators, the current step's zones); the
//! board shows only what they allow, so that nobody makes an edit the server would drop. Pure (no
//! DOM), so it is unit-tested in Node.

import type * as Y from 'yjs'
import * as M from './model'
import type { Schema } from '../api/client'
import { t, axisName, type Key } from '../i18n'

/** What citizens may do in one zone during a step: change anything of theirs, only add, or only read. */
export type Access = Schema<'ZoneAccess'>

/** A step's zones as the agenda answers them: `{zone: {citizen: access}}`. */
export type Zones = Schema<'Zones'>

/** The zones that hold cards and notes: a step naming any of them closes the others. */
const CARD_ZONE = /^(stage|lane):|^canvas$/
/** Whether `zone` holds cards or notes (a stage, a lane, the canvas): where everyone can be brought. */
export const isCardZone = (zone: string): boolean => CARD_ZONE.test(zone)
/** The zones that are not places on the board, in the order an editor lists them. */
export const FEATURE_ZONES = ['structure', 'comments', 'votes', 'connectors', 'emotions'] as const

const RANK: Record<Access, number> = { read: 0, add: 1, edit: 2 }
const open = (a: Access): boolean => a !== 'read'

/** Who is asking and under what step; see `Rules`. */
export interface RulesInput {
  /** The participant's id: their own cards are theirs to change. */
  me: string
  /**
   * `moderator` and `citizen` edit; a development room (no session, no roles) has no rules:
   * `free`. Read-only roles never reach the rules (the page says so already).
   */
  role: 'moderator' | 'citizen' | 'free'
  /** The zones of the step under way (none when no step is under way). */
  zones?: Zones
  /** This board is the person's own private drafts (issue 27, part 2). */
  drafts?: boolean
}

/** The answers the board asks of the rules, one per control. */
export class Rules {
  private readonly zones: Zones
  /** The step names card zones: the ones it does not name are closed. */
  private readonly cardZonesNamed: boolean
  constructor (readonly input: RulesInput) {
    this.zones = input.zones ?? {}
    this.cardZonesNamed = Object.keys(this.zones).some((z) => CARD_ZONE.test(z))
  }

  /** Everything is open: moderators, development rooms, one's own drafts. */
  private get unrestricted (): boolean { return this.input.role !== 'citizen' || !!this.input.drafts }

  /** A zone's access for citizens; `fallback` when the step does not name it. */
  zone (name: string, fallback: Access): Access { return this.zones[name]?.citizen ?? fallback }

  /** Stages, lanes, their titles and order, the canvas's frames (groups): moderators', unless opened. */
  structure (): Access { return this.unrestricted ? 'edit' : this.zone('structure', 'read') }

  /** Access to the cards of one cell: the more open of its stage and its lane. */
  cell (lane: string, stage: string): Access {
    if (this.unrestricted || !this.cardZonesNamed) return 'edit'
    const a = this.zone(`stage:${stage}`, 'read'); const b = this.zone(`lane:${lane}`, 'read')
    return RANK[a] >= RANK[b] ? a : b
  }

  /** Access to a canvas's notes. */
  canvas (): Access { return this.unrestricted || !this.cardZonesNamed ? 'edit' : this.zone('canvas', 'read') }

  /** Comments, votes, connectors and the emotion curve follow their rule if the step names one. */
  feature (zone: 'comments' | 'votes' | 'connectors' | 'emotions'): boolean {
    return this.unrestricted || open(this.zone(zone, 'edit'))
  }

  /** Whether new cards may go into a cell (or, without one, onto the canvas). */
  mayAdd (lane?: string, stage?: string): boolean { return open(lane && stage ? this.cell(lane, stage) : this.canvas()) }

  /** The access to the zone an item lies in. */
  private itemAccess (c: M.ItemView): Access {
    if (c.type === 'group') return this.structure()
    if (c.type === 'comment') return this.feature('comments') ? 'edit' : 'read'
    if (c.type === 'connector') return this.feature('connectors') ? 'edit' : 'read'
    if (c.type === 'card') return c.lane && c.stage ? this.cell(c.lane, c.stage) : 'read'
    return this.canvas()
  }

  /** A citizen changes only their own items. */
  private mine (c: M.ItemView): boolean { return this.unrestricted || c.author === this.input.me }

  /** Typing into an item's text: one's own, in a zone open for adding or editing. */
  mayEditText (c: M.ItemView): boolean { return this.mine(c) && open(this.itemAccess(c)) }

  /** Moving an item (another cell, another place on the canvas): one's own, in a zone open for editing. */
  mayMove (c: M.ItemView): boolean {
    if (this.input.drafts) return c.type !== 'card' // a draft card stays where it was written until the reveal
    return this.mine(c) && this.itemAccess(c) === 'edit'
  }

  /** Deleting an item: as moving it. */
  mayDelete (c: M.ItemView): boolean { return this.mine(c) && this.itemAccess(c) === 'edit' }

  /** Commenting on an item, voting on it, drawing an arrow from it: on anyone's, not on drafts. */
  mayComment (): boolean { return !this.input.drafts && this.feature('comments') }
  mayVote (): boolean { return !this.input.drafts && this.feature('votes') }
  mayConnect (): boolean { return !this.input.drafts && this.feature('connectors') }

  /**
   * The card zones a step opened to citizens (`stage:…`, `lane:…`, `canvas`), when it named
   * any: the page names them in "the facilitator opened only …". `undefined`: nothing is closed.
   */
  openedCardZones (): string[] | undefined {
    if (this.unrestricted || !this.cardZonesNamed) return undefined
    return Object.keys(this.zones).filter((z) => CARD_ZONE.test(z) && open(this.zone(z, 'read')))
  }
}

/** A zone in words, for "the facilitator opened only …" and "that change is not allowed (…)". */
export function zoneName (doc: Y.Doc, zone: string): string {
  const [kind, id] = zone.split(/:(.*)/s)
  if (kind === 'stage' || kind === 'lane') {
    const axis = (kind === 'stage' ? M.stages(doc) : M.lanes(doc)).find((a) => a.id === id)
    return t(`rules.${kind}`, { name: axis ? axisName(kind === 'stage' ? 'stages' : 'lanes', axis) : id })
  }
  const key = `rules.zone.${zone}` as Key
  return t(key) === key ? zone : t(key)
}
