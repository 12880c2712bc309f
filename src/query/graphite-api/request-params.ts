/**
 * graphite-web's parameters: the query string merged with a form body
 * (Django's `GET.copy().update(POST)`): a repeated parameter collects the
 * values of both, URL values first; a single-valued one is the last value
 * given, so the body's wins.
 */
import type { FastifyRequest } from "fastify";
import { bodyParams } from "../http/form-body.js";
import type { Params } from "../http/params.js";
import { badParameter } from "../query-error.js";

export class GraphiteParams {
  private constructor(private readonly values: Map<string, string[]>) {}

  static of(req: FastifyRequest, maxParams: number): GraphiteParams {
    const values = new Map<string, string[]>();
    const merge = (params: Params) => {
      for (const key of Object.keys(params)) {
        const v = params[key];
        if (v === undefined) continue;
        const list = values.get(key) ?? [];
        if (Array.isArray(v)) list.push(...v);
        else list.push(v);
        values.set(key, list);
      }
    };
    merge((req.query ?? {}) as Params);
    merge(bodyParams(req.body, maxParams));
    return new GraphiteParams(values);
  }

  /** Every value, URL first (`getlist`). */
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  /** The last value given (`get`), or undefined. */
  get(name: string): string | undefined {
    const list = this.values.get(name);
    return list === undefined || list.length === 0 ? undefined : list[list.length - 1];
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Python's `int(value)` read as a flag: absent is the default, a non-integer is a 400. */
  flag(name: string, fallback = false): boolean {
    const n = this.int(name);
    return n === undefined ? fallback : n !== 0;
  }

  /** Python's `int(value)`: optional sign, digits, surrounding space; anything else is a 400. */
  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^\s*[+-]?\d+\s*$/.test(v)) throw badParameter(name, `invalid int value ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`);
    return Number.parseInt(v, 10);
  }
}
