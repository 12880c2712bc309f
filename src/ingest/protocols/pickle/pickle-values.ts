/**
 * What the unpickler builds: the scalars of carbon's data, text that needs a
 * second look (not UTF-8, or holding blanks), and the two kinds of
 * container. Every object value carries its nesting depth.
 *
 * @module
 */

/** Bytes (protocol 3 on) that are not UTF-8: kept apart so their point is counted as `pickle_bad_utf8`, not stored as U+FFFD (a str that is not UTF-8 fails its frame instead, as in Python). */
export class NotUtf8 {
  /** Not a container (every object value has a depth, so reading it needs no type test). */
  readonly depth = 0;
  constructor(readonly excerpt: string) {}
}

/**
 * Text holding a blank or line break (space, tab, CR, LF): found while the
 * bytes are scanned anyway, so a name need not be scanned again to be
 * refused. A value or timestamp is its text; a name cannot be one.
 */
export class Spaced {
  readonly depth = 0;
  constructor(readonly text: string) {}
}

/** A list or tuple. `depth`: 1 for one holding only scalars. */
export class Seq {
  constructor(
    readonly items: PickleValue[],
    readonly tuple: boolean,
    public depth: number,
  ) {}
}

/**
 * A 2-tuple: `(name, datapoint)` and `(timestamp, value)` are one each, so
 * carbon's points cost one object per tuple instead of an object and an array.
 */
export class Pair {
  constructor(
    readonly a: PickleValue,
    readonly b: PickleValue,
    readonly depth: number,
  ) {}
}

export type PickleValue = string | number | null | NotUtf8 | Spaced | Seq | Pair;

/** The nesting depth of a value: 0 for a scalar. */
export const depthOf = (v: PickleValue): number => (typeof v === "object" && v !== null ? v.depth : 0);
