//! Connectors (blueprint arrows, canvas connectors) drawn the same way on screen (SVG) and in
//! the PNG export (2D canvas): a line from the edge of one box to the edge of the other, so that
//! the arrowheads are not hidden under the cards, with a head at the end (one-way: flow) or at
//! both ends (two-way: co-dependency).

import { svg } from '../ui/dom'

export interface Box { x: number, y: number, w: number, h: number }
interface Point { x: number, y: number }

const centre = (b: Box): Point => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 })

/** Where the line from the centre of `b` towards `to` crosses the edge of `b`. */
function edgeTowards (b: Box, to: Point): Point {
  const c = centre(b)
  const dx = to.x - c.x; const dy = to.y - c.y
  if (!dx && !dy) return c
  const scale = Math.min(dx ? (b.w / 2) / Math.abs(dx) : Infinity, dy ? (b.h / 2) / Math.abs(dy) : Infinity)
  return { x: c.x + dx * Math.min(1, scale), y: c.y + dy * Math.min(1, scale) }
}

/** The visible part of a connector: from the edge of `a` to the edge of `b`. */
export function segment (a: Box, b: Box): { from: Point, to: Point } {
  return { from: edgeTowards(a, centre(b)), to: edgeTowards(b, centre(a)) }
}

/**
 * An SVG layer for connectors, with its arrowhead marker. `name` keeps marker ids apart when
 * two layers are on one page.
 */
export function connectorLayer (name: string, width: number, height: number): SVGSVGElement {
  const layer = svg('svg', { class: `connectors ${name}`, 'aria-hidden': 'true', width, height })
  const defs = svg('defs')
  // auto-start-reverse: the same marker points backwards at the start of a two-way line
  const marker = svg('marker', { id: `${name}-head`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' })
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))
  defs.append(marker)
  layer.append(defs)
  return layer
}

/** Adds one connector to a layer made by `connectorLayer`. */
export function addConnectorLine (layer: SVGSVGElement, a: Box, b: Box, directed: boolean): void {
  const { from, to } = segment(a, b)
  const head = `url(#${layer.querySelector('marker')?.id ?? ''})`
  const line = svg('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, class: `connector${directed ? '' : ' two-way'}`, 'marker-end': head })
  if (!directed) line.setAttribute('marker-start', head)
  layer.append(line)
}

function arrowhead (ctx: CanvasRenderingContext2D, tip: Point, from: Point): void {
  const angle = Math.atan2(tip.y - from.y, tip.x - from.x)
  const size = 10
  ctx.beginPath()
  ctx.moveTo(tip.x, tip.y)
  ctx.lineTo(tip.x - size * Math.cos(angle - Math.PI / 7), tip.y - size * Math.sin(angle - Math.PI / 7))
  ctx.lineTo(tip.x - size * Math.cos(angle + Math.PI / 7), tip.y - size * Math.sin(angle + Math.PI / 7))
  ctx.closePath()
  ctx.fill()
}

/** Draws one connector on a 2D canvas (the PNG export). */
export function drawConnector (ctx: CanvasRenderingContext2D, a: Box, b: Box, directed: boolean): void {
  const { from, to } = segment(a, b)
  ctx.save()
  ctx.strokeStyle = '#333333'; ctx.fillStyle = '#333333'; ctx.lineWidth = 2
  ctx.beginPath(); ctx.moveTo(from.x, from.y); ctx.lineTo(to.x, to.y); ctx.stroke()
  arrowhead(ctx, to, from)
  if (!directed) arrowhead(ctx, from, to)
  ctx.restore()
}
