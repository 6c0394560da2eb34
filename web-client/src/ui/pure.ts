//! `pure(Component)`: a component that renders again only when its props change (shallowly) or
//! its own state or subscriptions say so. Preact's `memo` lives in preact/compat, which would
//! bring the whole React compatibility layer; this is the few lines the board needs.

import { Component, h, type FunctionComponent } from 'preact'

export function pure<P extends object> (fn: FunctionComponent<P>): FunctionComponent<P> {
  class Pure extends Component<P> {
    shouldComponentUpdate (next: P): boolean {
      const a = this.props as Record<string, unknown>; const b = next as Record<string, unknown>
      for (const k in a) if (a[k] !== b[k]) return true
      for (const k in b) if (!(k in a)) return true
      return false
    }

    render (props: P) { return h(fn, props) }
  }
  return Pure as unknown as FunctionComponent<P>
}
