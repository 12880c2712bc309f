/**
 * What one `/render` request may hold: series names matched by its paths (RENDER_MAX_SERIES) and points,
 * read from the stores or made by render functions, summed over every target (RENDER_MAX_POINTS).
 *
 * Points are 8-byte floats, so the points bound is a bound on the value memory one request can allocate.
 * Reads are charged before the store is asked; functions that make a grid of their own (summarize,
 * hitcount, the generators, …) are charged before they allocate it; every other function's new value
 * arrays are charged when it returns (they are no larger than its inputs, which were charged already), so
 * a chain of transforms over a wide read is refused too. An array is charged once however many series share it.
 */
import { GraphiteFunctionError } from "./errors.js";

/** Defaults of RENDER_MAX_SERIES and RENDER_MAX_POINTS; also the bound of a function called without a budget. */
export const DEFAULT_RENDER_MAX_SERIES = 10_000;
export const DEFAULT_RENDER_MAX_POINTS = 20_000_000;

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export class RenderBudget {
  names = 0;
  points = 0;
  /** Value buffers already charged (or read after their charge): counted once. */
  private readonly seen = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly maxNames: number = DEFAULT_RENDER_MAX_SERIES,
    readonly maxPoints: number = DEFAULT_RENDER_MAX_POINTS,
  ) {}

  /** How many more names a find may return before the request is refused (the find's limit). */
  remainingNames(): number {
    return Math.max(0, this.maxNames - this.names);
  }

  takeNames(n: number, expression: string): void {
    this.names += n;
    if (this.names > this.maxNames) {
      throw new GraphiteFunctionError(
        "TORUS_ERR_GRAPHITE_TOO_MANY_SERIES",
        `target: ${JSON.stringify(clip(expression))} and the paths before it match ${this.names} or more names, more than the configured maximum of ${this.maxNames} per request (RENDER_MAX_SERIES); narrow the wildcards`,
      );
    }
  }

  /** Charges points a store read will give for `expression`, before the read. */
  takePoints(n: number, expression: string): void {
    this.charge(n, () => `target: ${JSON.stringify(clip(expression))}: this request reads`);
  }

  /**
   * Charges points a function is about to make (`fn`'s argument `param` decides how many), before it
   * allocates them.
   */
  takeOutput(n: number, fn: string, param: string): void {
    this.charge(n, () => `${fn}: argument "${param}": this request would make`);
  }

  /** Marks the value arrays of `series` as paid for (read after `takePoints`, or made after `takeOutput`). */
  adopt(series: readonly { values: Float64Array }[]): void {
    for (const s of series) this.seen.add(s.values.buffer);
  }

  /** Charges the value arrays of `series` not charged before (a function's new arrays, after it ran). */
  chargeNew(series: readonly { values: Float64Array }[], fn: string): void {
    let n = 0;
    for (const s of series) {
      const b = s.values.buffer;
      if (this.seen.has(b)) continue;
      this.seen.add(b);
      n += b.byteLength / Float64Array.BYTES_PER_ELEMENT;
    }
    if (n > 0) this.charge(n, () => `${fn}: this request made`);
  }

  private charge(n: number, what: () => string): void {
    this.points += n;
    if (this.points > this.maxPoints) {
      throw new GraphiteFunctionError(
        "TORUS_ERR_GRAPHITE_TOO_MANY_POINTS",
        `${what()} ${Math.ceil(this.points)} or more points (read and computed, summed over its targets), more than the configured maximum of ${this.maxPoints} per request (RENDER_MAX_POINTS); use a shorter range, a larger interval or fewer series`,
      );
    }
  }
}
