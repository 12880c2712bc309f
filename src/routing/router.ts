import { flatString } from "../timeseries/flat-string.js";

/** What routing needs of a schema: does its `match` hit this name? */
export interface Matchable {
  matches(stat: string): boolean;
}

/** What routing needs of an aggregate rule: the rollup name for a stat, or null. */
export interface Rollup {
  apply(stat: string): string | null;
}

/** One name a point reaches, and the schemas that store it. */
export interface RouteStep {
  /** The name: the incoming stat first, then each rollup. */
  readonly stat: string;
  /** Indexes into the router's schemas, in declaration order. */
  readonly schemas: readonly number[];
  /** Index of the aggregate rule that produced this name; -1 for the incoming stat. */
  readonly rule: number;
  /** Depth in the rollup cascade (0 for the incoming stat). */
  readonly depth: number;
  /** Index in the route of the name this rollup came from; -1 for the incoming stat. */
  readonly from: number;
}

/** Every name one incoming stat reaches, each once. */
export type Route = readonly RouteStep[];

/**
 * A route without its first name: what many stats share. Stats that match
 * the same schemas and roll up to the same names (most of a schema
 * pattern's names: `a.b.x` and `a.b.y` both roll up to `a.b`) get the same
 * object, so a name costs the router one memo entry, not a route of its own.
 */
export interface RouteShape {
  /** The schemas of the stat itself (step 0 of its route). */
  readonly schemas: readonly number[];
  /** Steps 1.. of the route: the rollups, shared by every stat of this shape. */
  readonly rollups: readonly RouteStep[];
  /**
   * Per rollup: where its name last sat in its first schema's batch part
   * (see `Timeseries.stagePrepared`). The rollup's name is the same for
   * every stat of the shape, so one hint serves them all; a hint is checked
   * against the part before use, so a stale one only costs a lookup.
   */
  readonly hints: ReadonlyArray<{ hintPart: number; hintSlot: number }>;
}

/**
 * Stat name → every (name, schemas) a point of it reaches: the stat itself,
 * then every aggregate rollup, recursively, with each name reached at most
 * once (a seen-set stops loops and double counting). Decisions depend only
 * on the name, so they are computed once and kept, bounded; a reload builds
 * a new router, which drops them.
 */
export class Router<S extends Matchable = Matchable, A extends Rollup = Rollup> {
  readonly schemas: readonly S[];
  readonly aggregates: readonly A[];
  /** Stat → its shape. */
  private cache = new Map<string, RouteShape>();
  /** Shapes by their contents (schemas and rollup steps), bounded like the memo. */
  private shapes = new Map<string, RouteShape>();
  /** One shared array per distinct list of schemas: most names match the same few lists. */
  private readonly schemaLists = new Map<string, readonly number[]>();
  private readonly cacheLimit: number;

  constructor(schemas: readonly S[], aggregates: readonly A[], options: { cacheLimit?: number } = {}) {
    this.schemas = schemas;
    this.aggregates = aggregates;
    this.cacheLimit = options.cacheLimit ?? 1_000_000;
  }

  /** The full route of a stat (a new array each call: the hot path uses {@link shape}). */
  route(stat: string): Route {
    const shape = this.shape(stat);
    return [{ stat, schemas: shape.schemas, rule: -1, depth: 0, from: -1 }, ...shape.rollups];
  }

  /**
   * The shape of a stat's route. `flat`: the caller vouches that `stat` is
   * a flat string it keeps anyway (a name table's decoded name), so the
   * memo keys on it instead of a copy.
   */
  shape(stat: string, flat = false): RouteShape {
    const hit = this.cache.get(stat);
    if (hit) return hit;
    // Kept for as long as the memo lives: a flat copy, not a view into the input line it was cut from.
    const name = flat ? stat : flatString(stat);
    const shape = this.compute(name);
    // A bounded memo: past the limit start afresh rather than track recency on the hot path.
    if (this.cache.size >= this.cacheLimit) this.cache = new Map();
    this.cache.set(name, shape);
    return shape;
  }

  get cached(): number {
    return this.cache.size;
  }

  /** Distinct shapes held. */
  get shapeCount(): number {
    return this.shapes.size;
  }

  private compute(stat: string): RouteShape {
    const steps: RouteStep[] = [];
    const seen = new Set<string>([stat]);
    const queue: Array<[string, number, number, number]> = [[stat, -1, 0, -1]];
    let key = "";
    for (let head = 0; head < queue.length; head++) {
      const [name, rule, depth, from] = queue[head];
      const schemas: number[] = [];
      for (let i = 0; i < this.schemas.length; i++) if (this.schemas[i].matches(name)) schemas.push(i);
      const list = this.shared(schemas);
      steps.push({ stat: name, schemas: list, rule, depth, from });
      // Each name led by its length: no name can make two different routes one key.
      key += head === 0 ? list.join(",") : `|${rule},${depth},${from},${name.length}:${name}`;
      for (let r = 0; r < this.aggregates.length; r++) {
        const rollup = this.aggregates[r].apply(name);
        if (rollup !== null && !seen.has(rollup)) {
          seen.add(rollup);
          queue.push([rollup, r, depth + 1, head]);
        }
      }
    }
    const known = this.shapes.get(key);
    if (known) return known;
    // Rollup names are built by concatenating pieces of the name: flatten them, or they keep every piece alive.
    // Sized to fit: an array grown by push keeps room for 17 elements.
    const rollups = steps.slice(1).map((s) => Object.freeze({ ...s, stat: flatString(s.stat) }));
    const shape: RouteShape = Object.freeze({ schemas: steps[0].schemas, rollups, hints: rollups.map(() => ({ hintPart: 0, hintSlot: 0 })) });
    if (this.shapes.size >= this.cacheLimit) this.shapes = new Map();
    this.shapes.set(flatString(key), shape);
    return shape;
  }

  private shared(schemas: number[]): readonly number[] {
    const key = schemas.join(",");
    let list = this.schemaLists.get(key);
    if (!list) this.schemaLists.set(key, (list = Object.freeze(schemas.slice())));
    return list;
  }
}
