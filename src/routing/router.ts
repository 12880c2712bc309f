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
 * Stat name → every (name, schemas) a point of it reaches: the stat itself,
 * then every aggregate rollup, recursively, with each name reached at most
 * once (a seen-set stops loops and double counting). Decisions depend only
 * on the name, so they are computed once and kept; a reload builds a new
 * router, which drops them.
 */
export class Router<S extends Matchable = Matchable, A extends Rollup = Rollup> {
  readonly schemas: readonly S[];
  readonly aggregates: readonly A[];
  private cache = new Map<string, Route>();
  /** One shared array per distinct list of schemas: most names match the same few lists. */
  private readonly schemaLists = new Map<string, readonly number[]>();
  private readonly cacheLimit: number;

  constructor(schemas: readonly S[], aggregates: readonly A[], options: { cacheLimit?: number } = {}) {
    this.schemas = schemas;
    this.aggregates = aggregates;
    this.cacheLimit = options.cacheLimit ?? 1_000_000;
  }

  route(stat: string): Route {
    const hit = this.cache.get(stat);
    if (hit) return hit;
    // Kept for as long as the router lives: a flat copy, not a view into the input line it was cut from.
    const name = flatString(stat);
    const route = this.compute(name);
    // A bounded memo: past the limit start afresh rather than track recency on the hot path.
    if (this.cache.size >= this.cacheLimit) this.cache = new Map();
    this.cache.set(name, route);
    return route;
  }

  get cached(): number {
    return this.cache.size;
  }

  private compute(stat: string): Route {
    const steps: RouteStep[] = [];
    const seen = new Set<string>([stat]);
    const queue: Array<[string, number, number, number]> = [[stat, -1, 0, -1]];
    for (let head = 0; head < queue.length; head++) {
      const [name, rule, depth, from] = queue[head];
      const schemas: number[] = [];
      for (let i = 0; i < this.schemas.length; i++) if (this.schemas[i].matches(name)) schemas.push(i);
      steps.push({ stat: name, schemas: this.shared(schemas), rule, depth, from });
      for (let r = 0; r < this.aggregates.length; r++) {
        const rollup = this.aggregates[r].apply(name);
        if (rollup !== null && !seen.has(rollup)) {
          seen.add(rollup);
          // Built by concatenating pieces of the name: flatten it, or it keeps every piece alive.
          queue.push([flatString(rollup), r, depth + 1, head]);
        }
      }
    }
    // A copy sized to fit: an array grown by push keeps room for 17 elements, and there is one route per name.
    return steps.slice();
  }

  private shared(schemas: number[]): readonly number[] {
    const key = schemas.join(",");
    let list = this.schemaLists.get(key);
    if (!list) this.schemaLists.set(key, (list = Object.freeze(schemas.slice())));
    return list;
  }
}
