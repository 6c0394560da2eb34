//! The board document: one Yjs model for all three templates (schema documented in README.md),
//! pure functions over a Y.Doc, no DOM, so that they are unit-tested in Node. One module per
//! concern; this one names them together, as `M`.

export * from './schema'
export * from './seed'
export * from './axes'
export * from './read'
export * from './edit'
export * from './votes'
export * from './emotions'
