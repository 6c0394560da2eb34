//! How the model reads what any client wrote (an older one, another language's): only a finite
//! number or a string is taken for one, and items and axes go in their fractional `order`.

/** Items and axes in their fractional `order`, ties by id (two clients inserted at one spot). */
export const byOrder = (a: { order: string, id: string }, b: { order: string, id: string }): number =>
  a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/** A field as some client wrote it: only a finite number, or a string, is taken. */
export function num (v: unknown): number | undefined { return typeof v === 'number' && Number.isFinite(v) ? v : undefined }
export function str (v: unknown): string | undefined { return typeof v === 'string' ? v : undefined }
